import { createHash } from 'node:crypto';
import type { EntryRef } from '../layout.js';

/** Bumped when the artifact layout changes; part of every id, so formats never mix. */
export const ARTIFACT_FORMAT = 1;

function apiId(kind: string, namespace: string, ref: EntryRef): string {
  return createHash('sha256')
    .update(`${kind}\0${ARTIFACT_FORMAT}\0${namespace}\0${ref.module}/${ref.task}/${ref.key}`)
    .digest('hex');
}

/** The Turborepo API artifact id: hex sha256("cachex\0" format \0 namespace \0 module/task/key). */
export function apiArtifactId(namespace: string, ref: EntryRef): string {
  return apiId('cachex', namespace, ref);
}

/** The lease lives beside the artifact under an id of its own domain. */
export function apiLeaseId(namespace: string, ref: EntryRef): string {
  return apiId('cachex-lease', namespace, ref);
}

/** The S3 object key: <prefix>cachex/v1/<namespace>/<module>/<task>/<key>.tgz. */
export function s3ArtifactKey(prefix: string, namespace: string, ref: EntryRef): string {
  return `${prefix}cachex/v${ARTIFACT_FORMAT}/${namespace}/${ref.module}/${ref.task}/${ref.key}.tgz`;
}

export function s3LeaseKey(prefix: string, namespace: string, ref: EntryRef): string {
  return `${prefix}cachex/v${ARTIFACT_FORMAT}/${namespace}/${ref.module}/${ref.task}/${ref.key}.lease`;
}
