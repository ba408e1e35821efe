import { lstatSync } from 'node:fs';
import type { ParamsSchema } from '../config/types.js';
import type { Params } from '../tasks/params.js';
import { statStamp } from '../key/stamp.js';
import { walkTree } from '../key/walk.js';

function stamp(file: string): string {
  try {
    return statStamp(lstatSync(file, { bigint: true }), 'content');
  } catch {
    return 'missing';
  }
}

function treeStamp(dir: string): string {
  const parts: string[] = [stamp(dir)];
  try {
    for (const { rel, full } of walkTree(dir)) parts.push(`${rel}=${stamp(full)}`);
  } catch {
    parts.push('unreadable');
  }
  return parts.join(';');
}

/**
 * Stat stamps of every input file and folder. Compared before and after a run:
 * if an input changed while the task read it, the result is not stored.
 */
export function inputStamps(schema: ParamsSchema, params: Params): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(params)) {
    const spec = schema[name];
    if (spec?.type !== 'file' && spec?.type !== 'dir') continue;
    for (const p of Array.isArray(value) ? value : [value])
      parts.push(spec.type === 'dir' ? treeStamp(String(p)) : stamp(String(p)));
  }
  return parts.join('|');
}
