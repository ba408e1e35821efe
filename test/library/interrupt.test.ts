import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.js';

const SCRIPT = path.join(REPO, 'test', 'fixtures', 'lib-interrupt.mjs');

let dir: string;
let data: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cachex-int-'));
  data = path.join(dir, 'data');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Starts the script, sends SIGINT once its function runs, and returns how it ended. */
function interruptScript(
  args: string[],
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; elapsedMs: number }> {
  const child = spawn(process.execPath, [SCRIPT, ...args], {
    env: { ...process.env, DATA_FOLDER: data },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let sentAt = 0;
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    if (!sentAt && stdout.includes('started\n')) {
      sentAt = Date.now();
      child.kill('SIGINT');
    }
  });
  child.stderr.resume();
  return new Promise((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, elapsedMs: Date.now() - sentAt })),
  );
}

/** Lock folders and staging folders left in the data folder. */
function leftovers(): string[] {
  const found: string[] = [];
  const walk = (d: string): void => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name.endsWith('.lock')) found.push(path.join(d, e.name));
      else if (e.isDirectory()) walk(path.join(d, e.name));
    }
  };
  walk(path.join(data, 'locks'));
  if (existsSync(path.join(data, 'tmp'))) found.push(...readdirSync(path.join(data, 'tmp')));
  return found;
}

describe('Ctrl-C during a library computation', () => {
  it('ends the program at once, like an unhandled SIGINT, leaving no staging folder, lock or entry', async () => {
    const ended = await interruptScript([]);
    expect(ended.signal === 'SIGINT' || ended.code === 130, JSON.stringify(ended)).toBe(true);
    expect(ended.elapsedMs).toBeLessThan(5_000);
    expect(ended.stdout).not.toContain('finished');
    expect(leftovers()).toEqual([]);
    expect(existsSync(path.join(data, 'cache', 'lib-interrupt', 'slowInterrupted'))).toBe(false);
  });

  it('rejects the call when the program handles SIGINT itself, and cleans up', async () => {
    const ended = await interruptScript(['own-handler']);
    expect(ended.code).toBe(0);
    expect(ended.stdout).toContain('handled');
    expect(ended.stdout).toContain('rejected: slowInterrupted was interrupted by SIGINT; nothing was stored.');
    expect(ended.elapsedMs).toBeLessThan(5_000);
    expect(leftovers()).toEqual([]);
  });
});
