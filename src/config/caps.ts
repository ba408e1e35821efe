import type { StoreCaps } from '../core/auto-prune.js';
import { ConfigError, UsageError } from '../errors.js';
import type { LocalStore } from '../store/open.js';
import { configDuration } from './lifetime.js';
import type { CachexConfig } from './types.js';
import { parseSize } from './units.js';

/** A config size: bytes, or text as `prune --max-size` takes it (`5GB`, `500MB`). */
export function configSize(where: string, key: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  if (typeof value === 'string') {
    try {
      return parseSize(value, key);
    } catch {
      /* said below, as a config problem */
    }
  }
  throw new ConfigError(
    `${where}: \`${key}\` must be a size such as '5GB', '500MB' or a number of bytes, got ${JSON.stringify(value)}.`,
  );
}

/** CACHEX_MAX_SIZE, when set (it wins over the config's maxSize, as DATA_FOLDER does). */
function envMaxSize(env: NodeJS.ProcessEnv): number | undefined {
  const text = env.CACHEX_MAX_SIZE;
  if (text === undefined || text === '') return undefined;
  try {
    return parseSize(text, 'CACHEX_MAX_SIZE');
  } catch (err) {
    if (err instanceof UsageError) throw new ConfigError(err.message);
    throw err;
  }
}

/** The store's automatic caps, from the config and the environment; undefined when there are none. */
export function storeCaps(
  config: Pick<CachexConfig, 'maxSize' | 'pruneUnusedFor'> | null,
  store: LocalStore,
  env: NodeJS.ProcessEnv = process.env,
  onStillOver?: StoreCaps['onStillOver'],
): StoreCaps | undefined {
  const maxSizeBytes = envMaxSize(env) ?? configSize('the config', 'maxSize', config?.maxSize);
  const unusedForMs = configDuration('the config', 'pruneUnusedFor', config?.pruneUnusedFor);
  if (maxSizeBytes === undefined && unusedForMs === undefined) return undefined;
  return {
    maxSizeBytes,
    unusedForMs,
    prune: (sel) => store.prune(sel, { dryRun: false }),
    measure: async () => (await store.list()).reduce((n, e) => n + e.diskBytes, 0),
    onStillOver,
  };
}
