import type { EntryRef } from '../layout.js';
import type { Backend, Exchange, ObjectKind, Upload } from './backend.js';
import { drain, readBody, type RequestSpec, type Response } from './http.js';
import { s3ArtifactKey, s3LeaseKey } from './ids.js';
import type { RemoteSettings, S3Settings } from './settings.js';

/** Above this an artifact goes up in parts of this size (S3's minimum part is 5 MiB). */
export const MULTIPART_THRESHOLD = 16 * 1024 * 1024;

/** An S3-compatible bucket, requests signed with SigV4 by aws4fetch. */
export class S3Backend implements Backend {
  readonly server: string;
  private readonly s3: S3Settings;
  constructor(
    private readonly settings: RemoteSettings,
    private readonly exchange: Exchange,
    private readonly partSize = MULTIPART_THRESHOLD,
  ) {
    this.server = settings.server;
    this.s3 = settings.s3 as S3Settings;
  }

  private objectUrl(kind: ObjectKind, ref: EntryRef): URL {
    const { prefix } = this.s3;
    const key =
      kind === 'artifact'
        ? s3ArtifactKey(prefix, this.settings.namespace, ref)
        : s3LeaseKey(prefix, this.settings.namespace, ref);
    return new URL(key.split('/').map(encodeURIComponent).join('/'), this.settings.url);
  }

  private async signed(
    method: RequestSpec['method'],
    url: URL,
    payloadHash: string,
    extra: Record<string, string> = {},
  ): Promise<Pick<RequestSpec, 'method' | 'url' | 'headers'>> {
    // Imported here, not at the top: the CLI bundle hoists a package's static import, and a local hit must load none.
    const { AwsV4Signer } = await import('aws4fetch');
    const signer = new AwsV4Signer({
      method,
      url: url.href,
      headers: { 'x-amz-content-sha256': payloadHash, ...extra },
      accessKeyId: this.s3.accessKeyId,
      secretAccessKey: this.s3.secretAccessKey,
      sessionToken: this.s3.sessionToken,
      service: 's3',
      region: this.s3.region,
    });
    const { headers } = await signer.sign();
    const plain: Record<string, string> = {};
    headers.forEach((value, name) => {
      plain[name] = value;
    });
    return { method, url, headers: plain };
  }

  async get(kind: ObjectKind, ref: EntryRef, deadline: number): Promise<Response> {
    const spec = await this.signed('GET', this.objectUrl(kind, ref), 'UNSIGNED-PAYLOAD');
    return this.exchange(spec, deadline);
  }

  async head(kind: ObjectKind, ref: EntryRef, deadline: number): Promise<number> {
    const res = await this.exchange(await this.signed('HEAD', this.objectUrl(kind, ref), 'UNSIGNED-PAYLOAD'), deadline);
    drain(res.body);
    return res.status;
  }

  async put(kind: ObjectKind, ref: EntryRef, upload: Upload, deadline: number): Promise<number> {
    const url = this.objectUrl(kind, ref);
    if (upload.size > this.partSize && !Buffer.isBuffer(upload.body)) return this.multipart(url, upload, deadline);
    const spec = await this.signed('PUT', url, upload.sha256 ?? 'UNSIGNED-PAYLOAD', {
      'content-type': 'application/octet-stream',
    });
    const res = await this.exchange({ ...spec, body: upload.body }, deadline);
    drain(res.body);
    return res.status;
  }

  /** CreateMultipartUpload, one UploadPart per partSize bytes of the file, CompleteMultipartUpload; aborted on failure. */
  private async multipart(url: URL, upload: Upload, deadline: number): Promise<number> {
    const file = (upload.body as { file: string }).file;
    const create = new URL(url);
    create.search = 'uploads=';
    const started = await this.exchange(
      await this.signed('POST', create, 'UNSIGNED-PAYLOAD', { 'content-type': 'application/octet-stream' }),
      deadline,
    );
    const startText = (await readBody(started.body)).toString('utf8');
    if (started.status !== 200) return started.status;
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(startText)?.[1];
    if (!uploadId) return 502;
    const etags: string[] = [];
    let status = 200;
    for (let start = 0, part = 1; start < upload.size; start += this.partSize, part++) {
      const partUrl = new URL(url);
      partUrl.search = `partNumber=${part}&uploadId=${encodeURIComponent(uploadId)}`;
      const length = Math.min(this.partSize, upload.size - start);
      const res = await this.exchange(
        { ...(await this.signed('PUT', partUrl, 'UNSIGNED-PAYLOAD')), body: { file, start, length } },
        deadline,
      );
      drain(res.body);
      const etag = res.headers.etag;
      if (res.status !== 200 || typeof etag !== 'string') {
        status = res.status === 200 ? 502 : res.status;
        break;
      }
      etags.push(etag);
    }
    const done = new URL(url);
    done.search = `uploadId=${encodeURIComponent(uploadId)}`;
    if (status !== 200) {
      await this.exchange(await this.signed('DELETE', done, 'UNSIGNED-PAYLOAD'), deadline)
        .then((r) => drain(r.body))
        .catch(() => {});
      return status;
    }
    const xml = Buffer.from(
      `<CompleteMultipartUpload>${etags
        .map((etag, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${etag}</ETag></Part>`)
        .join('')}</CompleteMultipartUpload>`,
    );
    const { createHash } = await import('node:crypto');
    const hash = createHash('sha256').update(xml).digest('hex');
    const res = await this.exchange(
      { ...(await this.signed('POST', done, hash, { 'content-type': 'application/xml' })), body: xml },
      deadline,
    );
    const text = (await readBody(res.body)).toString('utf8');
    // S3 may answer 200 and report the failure in the body.
    return res.status === 200 && text.includes('<Error>') ? 500 : res.status;
  }
}
