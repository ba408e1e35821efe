import type { EntryRef } from '../layout.js';
import type { RequestBody, RequestSpec, Response } from './http.js';

/** What lives on the server for one entry: its artifact and the advisory lease beside it. */
export type ObjectKind = 'artifact' | 'lease';

export interface Upload {
  body: RequestBody;
  size: number;
  /** SHA-256 of the body (hex), when known. */
  sha256?: string;
  /** x-artifact-tag: the signature, or a fixed word when unsigned (some servers drop artifacts without one). */
  tag: string;
  durationMs?: number;
}

/** Sends one request, already with the retry policy applied. */
export type Exchange = (spec: Omit<RequestSpec, 'timeouts' | 'deadline'>, deadline: number) => Promise<Response>;

/** A server that stores artifacts: the Turborepo API or an S3 bucket. */
/** One artifact a listing found. */
export interface Listed {
  ref: EntryRef;
  size: number;
  modified: string | null;
}

export interface Backend {
  readonly server: string;
  get(kind: ObjectKind, ref: EntryRef, deadline: number): Promise<Response>;
  head(kind: ObjectKind, ref: EntryRef, deadline: number): Promise<number>;
  /** Returns the final status (2xx stored). */
  put(kind: ObjectKind, ref: EntryRef, upload: Upload, deadline: number): Promise<number>;
  /** The artifacts of the namespace; absent where the server cannot list (the Turborepo API). */
  list?(deadline: number): Promise<Listed[]>;
}
