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

  /** The local store; with `remote`, the tiered one when a remote is configured. */
  async store(remote?: Omit<RemoteChoice, 'config'>): Promise<LocalStore> {
    const settings = await this.settings();
    const folder = (await settings.dataFolder()).value;
    if (!remote) return openStore(folder);
    return openStore(folder, { remote: { ...remote, config: (await settings.config()).remote } });
  }
}
