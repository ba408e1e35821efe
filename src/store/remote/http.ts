import { createReadStream } from 'node:fs';
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';

/**
 * One HTTP request with the remote tier's time limits, on node:http rather
 * than fetch: fetch cannot set a connect timeout or an idle timeout without
 * the undici package, and a request body read from a file must be sendable
 * twice (a retry).
 */
export interface Timeouts {
  connectMs: number;
  headersMs: number;
  idleMs: number;
}

export const DEFAULT_TIMEOUTS: Timeouts = { connectMs: 2000, headersMs: 5000, idleMs: 10_000 };

export type RequestBody = Buffer | { file: string; start: number; length: number };

export interface RequestSpec {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE';
  url: URL;
  headers: Record<string, string>;
  body?: RequestBody;
  /** performance.now() by which the whole exchange, body included, must be over. */
  deadline: number;
  timeouts: Timeouts;
}

export interface Response {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body; destroyed with a TransportError when a limit is hit while it streams. */
  body: Readable;
}

export type TransportKind = 'timeout' | 'refused' | 'reset' | 'network';

/** The server could not be reached or stopped answering; `detail` names how, never a secret. */
export class TransportError extends Error {
  constructor(
    readonly kind: TransportKind,
    detail: string,
  ) {
    super(detail);
  }
}

/** A socket or stream error as a TransportError (a body stream may surface the raw one, e.g. `aborted`). */
export function classify(err: NodeJS.ErrnoException): TransportError {
  if (err instanceof TransportError) return err;
  switch (err.code) {
    case 'ECONNREFUSED':
      return new TransportError('refused', 'connection refused');
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
    // The body ended early because the server dropped the connection mid-transfer.
    case 'ERR_STREAM_PREMATURE_CLOSE':
      return new TransportError('reset', 'connection reset');
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new TransportError('network', 'host not found');
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new TransportError('network', 'host unreachable');
    default:
      if (/socket hang up|aborted/i.test(err.message)) return new TransportError('reset', 'connection reset');
      return new TransportError('network', err.code ?? 'network error');
  }
}

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

export function send(spec: RequestSpec): Promise<Response> {
  const { timeouts } = spec;
  return new Promise((resolve, reject) => {
    const lib = spec.url.protocol === 'https:' ? https : http;
    const headers: Record<string, string> = { ...spec.headers };
    const body = spec.body;
    if (body) headers['content-length'] = String(Buffer.isBuffer(body) ? body.length : body.length);
    const req = lib.request(spec.url, { method: spec.method, headers, agent: false });
    let response: Response | null = null;
    let phaseTimer: NodeJS.Timeout | undefined;
    const remaining = spec.deadline - performance.now();
    const fail = (err: TransportError) => {
      clearTimeout(phaseTimer);
      clearTimeout(deadlineTimer);
      if (response) response.body.destroy(err);
      else reject(err);
      req.destroy();
    };
    const deadlineTimer = setTimeout(
      () => fail(new TransportError('timeout', 'time budget spent')),
      Math.max(0, remaining),
    );
    if (remaining <= 0) return;
    const phase = (ms: number, what: string) => {
      clearTimeout(phaseTimer);
      phaseTimer = setTimeout(() => fail(new TransportError('timeout', `${what} within ${seconds(ms)}`)), ms);
    };
    phase(timeouts.connectMs, 'no connection');
    req.on('socket', (socket) => {
      socket.once('connect', () => {
        clearTimeout(phaseTimer);
        // No byte either way for idleMs while sending or receiving.
        socket.setTimeout(timeouts.idleMs, () =>
          fail(new TransportError('timeout', `no data for ${seconds(timeouts.idleMs)}`)),
        );
      });
    });
    req.on('finish', () => phase(timeouts.headersMs, 'no response headers'));
    req.on('error', (err) => fail(classify(err)));
    req.on('response', (res) => {
      clearTimeout(phaseTimer);
      res.on('error', (err) => fail(classify(err)));
      res.on('close', () => clearTimeout(deadlineTimer));
      res.on('end', () => clearTimeout(deadlineTimer));
      response = { status: res.statusCode ?? 0, headers: res.headers, body: res };
      resolve(response);
    });
    if (!body) req.end();
    else if (Buffer.isBuffer(body)) req.end(body);
    else if (body.length === 0) req.end();
    else {
      const file = createReadStream(body.file, { start: body.start, end: body.start + body.length - 1 });
      file.on('error', (err) => fail(new TransportError('network', `cannot read the artifact (${err.message})`)));
      file.pipe(req);
    }
  });
}

/** Reads a small body (an error text, an XML reply, a lease) to a buffer, at most `max` bytes. */
export async function readBody(body: Readable, max = 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of body) {
    n += chunk.length;
    if (n > max) {
      body.destroy();
      throw new TransportError('network', 'the reply is larger than expected');
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Throws away a body so the socket can close. */
export function drain(body: Readable): void {
  body.resume();
  body.on('error', () => {});
}
