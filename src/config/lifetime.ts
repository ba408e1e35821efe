import type { Lifetime } from '../core/lifetime.js';
import { ConfigError } from '../errors.js';
import type { TaskSpec } from './types.js';
import { parseDuration } from './units.js';

/** A config duration: milliseconds, or text as `prune` takes it (`2h`, `30d`). */
export function configDuration(where: string, key: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  if (typeof value === 'string') {
    try {
      return parseDuration(value, key);
    } catch {
      /* said below, as a config problem */
    }
  }
  throw new ConfigError(
    `${where}: \`${key}\` must be a duration such as '2h', '30d' or a number of milliseconds, got ${JSON.stringify(value)}.`,
  );
}

/** A task's lifetime from its config, overridden per call (`--max-age`, `--stale`). */
export function taskLifetime(
  where: string,
  spec: Pick<TaskSpec, 'maxAge' | 'failureMaxAge' | 'staleWhileRevalidate'>,
  call: Lifetime = {},
): Lifetime | undefined {
  const life: Lifetime = {
    maxAgeMs: call.maxAgeMs ?? configDuration(where, 'maxAge', spec.maxAge),
    failureMaxAgeMs: configDuration(where, 'failureMaxAge', spec.failureMaxAge),
    staleMs: call.staleMs ?? configDuration(where, 'staleWhileRevalidate', spec.staleWhileRevalidate),
  };
  return life.maxAgeMs === undefined && life.failureMaxAgeMs === undefined ? undefined : life;
}
