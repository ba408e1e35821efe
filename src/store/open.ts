import type { MinFreeSpace } from './free-space.js';
import { LocalStore } from './local/local-store.js';
import { type RemoteConfig, readRemoteSettings } from './remote/settings.js';
import { TieredStore } from './tiered.js';

export interface RemoteChoice {
  /** The `remote` section of the configuration. */
  config?: RemoteConfig;
  /** `--no-remote`: the local store only, whatever the environment says. */
  disabled?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Where remote warnings go (default stderr). */
  warn?: (line: string) => void;
}

/**
 * The store of one data folder, and the only place that chooses a backend:
 * the local store, or (with CACHEX_REMOTE_URL set) a tiered store, local
 * first then remote. The remote settings are checked here, before any
 * lookup, so a misconfigured remote fails a local hit too (a ConfigError,
 * exit 3) without loading any remote code.
 */
export function openStore(
  dataFolder: string,
  opts: { remote?: RemoteChoice; minFreeSpace?: MinFreeSpace } = {},
): LocalStore {
  const remote = opts.remote;
  const local = { minFreeSpace: opts.minFreeSpace };
  if (!remote || remote.disabled) return new LocalStore(dataFolder, local);
  const read = readRemoteSettings(remote.env ?? process.env, remote.config ?? {});
  if (!read.ok) throw read.error;
  if (!read.settings) return new LocalStore(dataFolder, local);
  const warn = remote.warn ?? ((line: string) => void process.stderr.write(`${line}\n`));
  return new TieredStore(dataFolder, { settings: read.settings, warn, ...local });
}

export type { LocalStore };
export type { MinFreeSpace } from './free-space.js';
export type { Leftover } from './local/sweep.js';
export type { PruneReason, PruneResult, PruneSelectors } from './local/prune.js';

export type { VerifyReport } from './local/verify.js';
export type { ChunkedValue } from './local/chunked.js';
export { hasSelector } from './local/prune.js';
