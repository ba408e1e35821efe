import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Workspace } from '../helpers/cli.js';
import { demoConfig } from '../helpers/configs.js';

let ws: Workspace;
beforeEach(() => {
  ws = new Workspace('cachex-init-');
});
afterEach(() => ws.cleanup());

describe('cachex init and .gitignore', () => {
  it('appends .cachex/ to an existing .gitignore that does not end in a newline', () => {
    ws.write('.gitignore', 'node_modules/\ndist/');
    const r = ws.run(['init']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Added \.cachex\/ \(the store\) to \.gitignore\.$/m);
    expect(readFileSync(ws.path('.gitignore'), 'utf8')).toBe('node_modules/\ndist/\n.cachex/\n');
  });

  it('leaves a .gitignore that already ignores the store as it is', () => {
    ws.write('.gitignore', '/.cachex\n');
    const r = ws.run(['init']);
    expect(r.stdout).toMatch(/^\.gitignore already ignores \.cachex\/\.$/m);
    expect(readFileSync(ws.path('.gitignore'), 'utf8')).toBe('/.cachex\n');
  });

  it('refuses when any cachex config is already here, a .mjs one included', () => {
    ws.config(demoConfig(), 'cachex.config.mjs');
    const r = ws.run(['init']);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(
      'error: cachex.config.mjs already exists here; edit it, or remove it to start from the starter again.\n',
    );
  });

  it('says so when a config in a parent folder is shadowed by the new one', () => {
    ws.config(demoConfig());
    ws.write('inner/.keep', '');
    const r = ws.run(['init'], { cwd: ws.path('inner') });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Note: ${ws.path('cachex.config.ts')} is now shadowed here`);
    const tasks = ws.run(['tasks', '--json'], { cwd: ws.path('inner') });
    expect(JSON.parse(tasks.stdout).map((t: { name: string }) => t.name)).toEqual(['count', 'archive']);
  });

  it('a missing config points at cachex init', () => {
    const r = ws.run(['tasks']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/create one with `npx cachex init`, or pass --config <file>\./);
  });
});
