import type { EntryRef } from '../layout.js';
import type { RemoteSettings } from './settings.js';
import type { Backend, Exchange, ObjectKind, Upload } from './backend.js';
import { drain, type Response } from './http.js';
import { apiArtifactId, apiLeaseId } from './ids.js';

/** The Turborepo remote-cache API: /v8/artifacts/<id>?slug=<team>, Bearer token. */
export class ApiBackend implements Backend {
  readonly server: string;
  constructor(
    private readonly settings: RemoteSettings,
    private readonly exchange: Exchange,
  ) {
    this.server = settings.server;
  }

  private url(kind: ObjectKind, ref: EntryRef): URL {
    const id =
      kind === 'artifact' ? apiArtifactId(this.settings.namespace, ref) : apiLeaseId(this.settings.namespace, ref);
    const url = new URL(`${this.settings.url.href.replace(/\/+$/, '')}/v8/artifacts/${id}`);
    if (this.settings.team) url.searchParams.set('slug', this.settings.team);
    return url;
  }

  private headers(): Record<string, string> {
    return this.settings.token ? { authorization: `Bearer ${this.settings.token}` } : {};
  }

  get(kind: ObjectKind, ref: EntryRef, deadline: number): Promise<Response> {
    return this.exchange({ method: 'GET', url: this.url(kind, ref), headers: this.headers() }, deadline);
  }

  async head(kind: ObjectKind, ref: EntryRef, deadline: number): Promise<number> {
    const res = await this.exchange({ method: 'HEAD', url: this.url(kind, ref), headers: this.headers() }, deadline);
    drain(res.body);
    return res.status;
  }

  async put(kind: ObjectKind, ref: EntryRef, upload: Upload, deadline: number): Promise<number> {
    const headers: Record<string, string> = {
      ...this.headers(),
      'content-type': 'application/octet-stream',
      'x-artifact-tag': upload.tag,
      'x-artifact-duration': String(Math.max(0, Math.round(upload.durationMs ?? 0))),
    };
    const res = await this.exchange({ method: 'PUT', url: this.url(kind, ref), headers, body: upload.body }, deadline);
    drain(res.body);
    return res.status;
  }
}
