import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Workspace } from '../helpers/cli.js';
import { hasScript, runOnTty, screen } from '../helpers/tty.js';

/** A stand-in for a tool that colours its output only when told it may (FORCE_COLOR), as chalk does. */
const COLOUR_TOOL = `const force = process.env.FORCE_COLOR;
const on = force !== undefined && force !== '0';
console.log((on ? '\\u001b[31mred\\u001b[39m' : 'plain') + ' FORCE_COLOR=' + force + ' NO_COLOR=' + process.env.NO_COLOR);
console.log(new Map([['inspected', true]]));`;

const tasks = {
  partial: { command: ['sh', '-c', 'printf "Downloading... "; sleep 1.5; echo ok'] },
  progress: { command: ['sh', '-c', 'for p in 10 40 70 100; do printf "\\r%s%%" $p; sleep 0.4; done; echo " done"'] },
  warn: { command: ['sh', '-c', 'sleep 0.3; printf careful >&2'] },
  colours: { command: [process.execPath, '-e', COLOUR_TOOL] },
};

const CONFIG = `import { defineConfig } from 'cachex';
export default defineConfig({
  tasks: {
    ...${JSON.stringify(tasks)},
    tsColours: { run: async () => { console.log('ts FORCE_COLOR=' + process.env.FORCE_COLOR); return 1; } },
  },
});
`;

let ws: Workspace;
beforeEach(() => {
  ws = new Workspace('cachex-tty-');
  ws.config(CONFIG);
});
afterEach(() => ws.cleanup());

/** The stored log of the one entry of `task`. */
function storedLog(task: string, log: 'stdout.log' | 'stderr.log'): string {
  const dir = path.join(ws.data, 'cache', 'tasks', task);
  const [key] = readdirSync(dir);
  return readFileSync(path.join(dir, key, log), 'utf8');
}

describe.skipIf(!hasScript)('on a terminal', () => {
  it('the spinner never erases a partial line a task printed', () => {
    const { output } = runOnTty(ws, ['run', 'partial']);
    expect(output).toMatch(/⠋(\u001b\[39m)? running partial/); // the spinner did run
    expect(output).not.toMatch(/Warning/);
    const shown = screen(output);
    expect(shown).toContain('Downloading... ok');
    expect(shown.at(-1) === '' ? shown.at(-2) : shown.at(-1)).toMatch(/^miss partial [0-9a-f]{12} \(ran /);
  });

  it('the spinner never erases a \\r progress bar', () => {
    const { output } = runOnTty(ws, ['run', 'progress']);
    const shown = screen(output);
    expect(shown).toContain('100% done');
    expect(shown.some((l) => /^miss progress /.test(l))).toBe(true);
  });

  it('the status line starts on a fresh line after output without a newline, on a miss and on a hit', () => {
    for (const status of ['miss', 'hit']) {
      const { output } = runOnTty(ws, ['run', 'warn']);
      const shown = screen(output).filter(Boolean);
      expect(shown).toContain('careful');
      expect(shown.at(-1)).toMatch(new RegExp(`^${status} warn [0-9a-f]{12} `));
    }
    // The stored log stays byte-exact, and a pipe gets the bytes as they were.
    expect(storedLog('warn', 'stderr.log')).toBe('careful');
    expect(ws.run(['run', 'warn'], { env: { CI: '' } }).stderr).toMatch(/^careful(\x1b\[32m)?hit warn /);
  });

  it('tasks get the colour environment of the terminal; through a pipe and in CI they do not', () => {
    const onTty = runOnTty(ws, ['run', 'colours']).output;
    expect(onTty).toContain('\u001b[31mred\u001b[39m FORCE_COLOR=2');
    const ts = runOnTty(ws, ['run', 'tsColours']).output;
    expect(ts).toMatch(/ts FORCE_COLOR=2/);
    const inCi = runOnTty(ws, ['run', 'colours', '--force'], { CI: 'true' }).output;
    expect(inCi).toContain('plain FORCE_COLOR=undefined');
    const piped = ws.run(['run', 'colours', '--force'], { env: { CI: '', NO_COLOR: '' } });
    expect(piped.stdout).toContain('plain FORCE_COLOR=undefined');
  });

  it('a hit replays the bytes the miss stored, colours included, wherever it goes', () => {
    runOnTty(ws, ['run', 'colours']);
    expect(storedLog('colours', 'stdout.log')).toContain('\u001b[31mred');
    const piped = ws.run(['run', 'colours']);
    expect(piped.stderr).toMatch(/^hit colours /m);
    expect(piped.stdout).toBe(storedLog('colours', 'stdout.log'));
  });

  it('NO_COLOR turns off every colour, the spinner included, and reaches the tasks', () => {
    const { output } = runOnTty(ws, ['run', 'partial'], { NO_COLOR: '1' });
    expect(output).toMatch(/⠋ running partial/);
    expect(output).not.toMatch(/\u001b\[\d+m/);
    const task = runOnTty(ws, ['run', 'colours'], { NO_COLOR: '1' }).output;
    expect(task).toContain('plain FORCE_COLOR=undefined NO_COLOR=1');
  });

  it('TERM=dumb gets plain lines: no spinner, no colour', () => {
    const { output } = runOnTty(ws, ['run', 'partial'], { TERM: 'dumb' });
    expect(output).not.toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/);
    expect(output).not.toContain('\u001b[');
    expect(screen(output)).toContain('running partial ' + output.match(/running partial ([0-9a-f]{12})/)![1] + '…');
  });

  it('NO_COLOR and FORCE_COLOR together: FORCE_COLOR wins everywhere and Node prints no warning', () => {
    const { output } = runOnTty(ws, ['run', 'colours'], { NO_COLOR: '1', FORCE_COLOR: '1' });
    expect(output).not.toMatch(/Warning/);
    expect(output).toContain('\u001b[33mmiss\u001b[39m colours');
    expect(output).toContain('\u001b[31mred\u001b[39m FORCE_COLOR=1 NO_COLOR=undefined');
  });
});
