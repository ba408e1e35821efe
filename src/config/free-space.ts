import { ConfigError, UsageError } from '../errors.js';
import type { MinFreeSpace } from '../store/free-space.js';
import { parseSize } from './units.js';

const PERCENT = /^(\d+(?:\.\d+)?|\.\d+)\s*%$/;

/** `minFreeSpace` as written: a size (`2GB`, `500MB`, bytes), a percentage (`10%`), or 0 to switch it off. */
export function parseMinFreeSpace(value: unknown, where: string): MinFreeSpace {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return { kind: 'bytes', bytes: value };
  if (typeof value === 'string') {
    const percent = PERCENT.exec(value.trim());
    if (percent && Number(percent[1]) <= 100) return { kind: 'percent', percent: Number(percent[1]) };
    if (!percent) {
      try {
        return { kind: 'bytes', bytes: parseSize(value, where) };
      } catch (err) {
        if (!(err instanceof UsageError)) throw err;
      }
    }
  }
  throw new ConfigError(
    `${where} must be a size such as '1GB' or '500MB', a percentage of the disk such as '5%', or 0, got ${JSON.stringify(value)}.`,
  );
}

/** The store's minimum free space: CACHEX_MIN_FREE_SPACE wins over the config's `minFreeSpace`, else the default. */
export function minFreeSpace(
  config: { minFreeSpace?: number | string } | null,
  env: NodeJS.ProcessEnv = process.env,
): MinFreeSpace {
  const text = env.CACHEX_MIN_FREE_SPACE;
  if (text !== undefined && text !== '') return parseMinFreeSpace(text, 'CACHEX_MIN_FREE_SPACE');
  if (config?.minFreeSpace !== undefined) return parseMinFreeSpace(config.minFreeSpace, 'the config: `minFreeSpace`');
  return { kind: 'default' };
}
