import type { MinFreeSpace } from './free-space.js';
import { ConfigError } from '../errors.js';
import { LocalStore } from './local/local-store.js';
import { type RemoteConfig, readRemoteSettings } from './remote/settings.js';
import { TieredStore } from './tiered.js';

export interface RemoteChoice {
  /** The `remote` section of the configuration. */
  config?: RemoteConfig;
  /** `--no-remote`: the local store only, whatever the environment says. */
  disabled?: boolean;
  /** `--remote-only`: the remote answers; the local entry is neither a hit nor kept (see TieredStore). */
  only?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Uploads after put() returns (the library); TieredStore.flush() awaits them. */
  background?: boolean;
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
  if (!read.settings) {
    if (remote.only)
      throw new ConfigError(
        '--remote-only needs a remote; set CACHEX_REMOTE_URL (and unset CACHEX_REMOTE=off) or drop --remote-only.',
      );
    return new LocalStore(dataFolder, local);
  }
  const warn = remote.warn ?? ((line: string) => void process.stderr.write(`${line}\n`));
  return new TieredStore(dataFolder, {
    settings: read.settings,
    warn,
    remoteOnly: remote.only,
    backgroundUploads: remote.background,
    ...local,
  });
}

export type { LocalStore };
export type { MinFreeSpace } from './free-space.js';
export type { Leftover } from './local/sweep.js';
export type { PruneReason, PruneResult, PruneSelectors } from './local/prune.js';

export type { VerifyReport } from './local/verify.js';
export type { ChunkedValue } from './local/chunked.js';
export { hasSelector } from './local/prune.js';
