import type { EntryRef } from '../layout.js';
import type { Backend, Exchange, Listed, ObjectKind, Upload } from './backend.js';
import { drain, readBody, type RequestSpec, type Response } from './http.js';
import { ARTIFACT_FORMAT, s3ArtifactKey, s3LeaseKey } from './ids.js';
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

  /** ListObjectsV2 under `<prefix>cachex/v1/<namespace>/`, page by page; artifacts only (leases are skipped). */
  async list(deadline: number): Promise<Listed[]> {
    const under = `${this.s3.prefix}cachex/v${ARTIFACT_FORMAT}/${this.settings.namespace}/`;
    const found: Listed[] = [];
    let token: string | null = null;
    do {
      const url = new URL(this.settings.url);
      const query = new URLSearchParams({ 'list-type': '2', prefix: under });
      if (token) query.set('continuation-token', token);
      url.search = query.toString().replace(/\+/g, '%20');
      const res = await this.exchange(await this.signed('GET', url, 'UNSIGNED-PAYLOAD'), deadline);
      const xml = (await readBody(res.body, 64 * 1024 * 1024)).toString('utf8');
      if (res.status !== 200) throw new ListRefused(res.status);
      for (const m of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
        const key = unxml(/<Key>([^<]*)<\/Key>/.exec(m[1])?.[1] ?? '');
        if (!key.startsWith(under) || !key.endsWith('.tgz')) continue;
        const parts = key.slice(under.length, -'.tgz'.length).split('/');
        if (parts.length < 3) continue;
        const ref = { key: parts.pop() as string, task: parts.pop() as string, module: parts.join('/') };
        const size = Number(/<Size>(\d+)<\/Size>/.exec(m[1])?.[1] ?? 0);
        found.push({ ref, size, modified: /<LastModified>([^<]*)<\/LastModified>/.exec(m[1])?.[1] ?? null });
      }
      const truncated = /<IsTruncated>true<\/IsTruncated>/.test(xml);
      token = truncated ? unxml(/<NextContinuationToken>([^<]*)<\/NextContinuationToken>/.exec(xml)?.[1] ?? '') : null;
    } while (token);
    return found;
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

/** A listing the bucket refused (403 without s3:ListBucket, 401 …). */
export class ListRefused extends Error {
  constructor(readonly status: number) {
    super(`listing answered ${status}`);
  }
}

function unxml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}
