import { minFreeSpace } from '../config/free-space.js';
import { Settings } from '../config/settings.js';
import { openStore, type LocalStore, type RemoteChoice } from '../store/open.js';
import type { Globals } from './globals.js';

/** What every command gets: the global options and lazily resolved settings. */
export class CliContext {
  private settingsPromise: Promise<Settings> | null = null;

  constructor(readonly globals: Globals) {}

  settings(): Promise<Settings> {
    this.settingsPromise ??= Settings.resolve(this.globals);
    return this.settingsPromise;
  }

  /** The settings if a command asked for them (null otherwise: nothing is resolved just to look). */
  resolvedSettings(): Promise<Settings> | null {
    return this.settingsPromise;
  }

  /** The local store; with `remote`, the tiered one when a remote is configured. */
  async store(remote?: Omit<RemoteChoice, 'config'>): Promise<LocalStore> {
    const settings = await this.settings();
    const folder = (await settings.dataFolder()).value;
    // Without a remote choice the command stores nothing (run and rebuild open theirs in core/prepare.ts).
    if (!remote) return openStore(folder);
    // exec runs without a config file; the remote section is read only when there is one.
    const config = settings.hasConfig ? await settings.config() : null;
    return openStore(folder, { remote: { ...remote, config: config?.remote }, minFreeSpace: minFreeSpace(config) });
  }
}
