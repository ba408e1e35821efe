import { Settings } from '../config/settings.js';
import { Layout } from '../store/layout.js';
import type { Globals } from './globals.js';

/** What every command gets: the global options and lazily resolved settings. */
export class CliContext {
  private settingsPromise: Promise<Settings> | null = null;

  constructor(readonly globals: Globals) {}

  settings(): Promise<Settings> {
    this.settingsPromise ??= Settings.resolve(this.globals);
    return this.settingsPromise;
  }

  async layout(): Promise<Layout> {
    const settings = await this.settings();
    return new Layout((await settings.dataFolder()).value);
  }
}
