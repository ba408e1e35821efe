import { Settings } from '../config/settings.js';
import { openStore, type LocalStore } from '../store/open.js';
import type { Globals } from './globals.js';

/** What every command gets: the global options and lazily resolved settings. */
export class CliContext {
  private settingsPromise: Promise<Settings> | null = null;

  constructor(readonly globals: Globals) {}

  settings(): Promise<Settings> {
    this.settingsPromise ??= Settings.resolve(this.globals);
    return this.settingsPromise;
  }

  async store(): Promise<LocalStore> {
    const settings = await this.settings();
    return openStore((await settings.dataFolder()).value);
  }
}
