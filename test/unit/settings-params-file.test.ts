import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Settings } from '../../src/config/settings.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cachex-settings-'));
  writeFileSync(path.join(dir, 'cachex.config.ts'), 'export default { tasks: {} };\n');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('Settings.paramsFile', () => {
  it('looks for the params file beside the config once per process (a hit asked twice: six lookups)', async () => {
    const file = path.join(dir, 'cachex.params.yaml');
    writeFileSync(file, 'hello: {}\n');
    const settings = await Settings.resolve({ cwd: dir });
    expect(settings.paramsFile()).toEqual({ value: file, source: 'beside the config' });
    // Gone now: the answer found first stands (the file is read once, on first use, by paramDefaults).
    rmSync(file);
    expect(settings.paramsFile()).toEqual({ value: file, source: 'beside the config' });
  });

  it('says none when there is none, and --params wins', async () => {
    expect((await Settings.resolve({ cwd: dir })).paramsFile()).toEqual({ value: null, source: 'none' });
    const given = await Settings.resolve({ cwd: dir, params: 'p.yaml' });
    expect(given.paramsFile()).toEqual({ value: path.join(dir, 'p.yaml'), source: '--params' });
  });
});
