import type { Command } from 'commander';
import type { Lifetime } from '../core/lifetime.js';
import { parseDuration } from '../config/units.js';

export interface LifetimeFlags {
  maxAge?: string;
  stale?: string;
  explain?: boolean;
}

/** `run`'s flags about lifetimes and misses (beside addRunFlags, which the remote tier owns). */
export function addLifetimeFlags(cmd: Command): Command {
  return cmd
    .option('--max-age <duration>', 'an entry older than this is a miss, recomputed and replaced (2h, 30d)')
    .option('--stale <duration>', 'past --max-age, answer the old entry at once for this long and refresh it after')
    .option('--explain', "on a miss, say which key inputs differ from the task's stored entries");
}

/** The per-call lifetime the flags ask for. */
export function lifetimeOfFlags(flags: LifetimeFlags): Lifetime {
  return {
    maxAgeMs: flags.maxAge === undefined ? undefined : parseDuration(flags.maxAge, '--max-age'),
    staleMs: flags.stale === undefined ? undefined : parseDuration(flags.stale, '--stale'),
  };
}
