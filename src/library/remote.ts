import type { MinFreeSpace } from '../store/free-space.js';
import { openStore, type LocalStore } from '../store/open.js';
import type { RemoteConfig } from '../store/remote/settings.js';
import { TieredStore } from '../store/tiered.js';

/**
 * The library's remote tier: the same settings as the CLI (CACHEX_REMOTE_* from
 * the environment; the `remote` option stands in for the config section, which
 * the library does not read). One tiered store per data folder and settings for
 * the whole process, so an outage switches the remote off for every later call,
 * as in one CLI run. Uploads run in the background (a call returns once its
 * entry is stored locally); flushRemote() waits for them.
 */
const tiered = new Map<string, TieredStore>();

const REMOTE_ENV = [
  'CACHEX_REMOTE',
  'CACHEX_REMOTE_URL',
  'CACHEX_REMOTE_TOKEN',
  'CACHEX_REMOTE_TEAM',
  'CACHEX_REMOTE_SIGNING_KEY',
  'CACHEX_REMOTE_NAMESPACE',
  'CACHEX_REMOTE_READ_ONLY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
];

function warn(line: string): void {
  process.emitWarning(line.replace(/^cachex: /, ''), { type: 'CachexWarning', code: 'CACHEX_REMOTE' });
}

/** The store of one call: local, or the process's tiered store for this folder and these settings. */
export function libraryStore(
  folder: string,
  remote: RemoteConfig | false | undefined,
  local: { minFreeSpace?: MinFreeSpace } = {},
): LocalStore {
  if (remote === false || !process.env.CACHEX_REMOTE_URL) return openStore(folder, local);
  const id = JSON.stringify([
    folder,
    remote ?? {},
    local.minFreeSpace ?? null,
    REMOTE_ENV.map((name) => process.env[name] ?? null),
  ]);
  const known = tiered.get(id);
  if (known) return known;
  // Settings are checked here, before any lookup: a misconfigured remote fails the call (a ConfigError).
  const store = openStore(folder, { remote: { config: remote ?? {}, warn, background: true }, ...local });
  if (store instanceof TieredStore) tiered.set(id, store);
  return store;
}

/**
 * Waits until every remote upload this process started has ended (stored or
 * given up within its budget). Await it before `process.exit()`; a process
 * that ends by itself waits for running uploads anyway (their sockets keep it
 * alive). Resolves, never rejects: an upload failure was a warning.
 */
export async function flushRemote(): Promise<void> {
  await Promise.all([...tiered.values()].map((store) => store.flush()));
}
