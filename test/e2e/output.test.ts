import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI, Workspace } from '../helpers/cli.js';
import { cannotMount, withReason } from '../helpers/faults.js';
import { demoConfig } from '../helpers/configs.js';

let ws: Workspace;
beforeEach(() => {
  ws = new Workspace();
  ws.config(demoConfig());
});
afterEach(() => ws.cleanup());

const hasScript = spawnSync('script', ['--version']).status === 0;
const hasStrace = spawnSync('strace', ['-V']).status === 0;

/** Runs the CLI under a pseudo-terminal (util-linux `script`), as a person at a terminal would. */
function runOnTty(args: string[], env: NodeJS.ProcessEnv): string {
  const command = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  // A fresh pty has no size; a real terminal does, and the spinner needs a width to redraw its line.
  const result = spawnSync('script', ['-qec', `stty cols 100 rows 30; ${command}`, '/dev/null'], {
    cwd: ws.dir,
    env: { ...ws.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return result.stdout;
}

describe('terminal output', () => {
  it.skipIf(!hasScript)('shows a spinner with elapsed time on a TTY and plain lines in CI', () => {
    const file = ws.samplePcd();
    const tty = runOnTty(['run', 'potree', '--file', file], { CI: '', NO_COLOR: '', FAKE_SLEEP: '1.5' });
    expect(tty).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏](\u001b\[39m)? running potree [0-9a-f]{12}…/); // the frame is cyan
    expect(tty).toMatch(/running potree [0-9a-f]{12}… 1s/);
    expect(tty).toContain('\u001b[33mmiss\u001b[39m potree'); // coloured on a TTY
    const ci = runOnTty(['run', 'potree', '--file', file, '--force'], { CI: 'true', NO_COLOR: '', FAKE_SLEEP: '1.5' });
    expect(ci).not.toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/);
    expect(ci).toMatch(/^running potree [0-9a-f]{12}…\r?$/m);
    expect(ci).not.toContain('\u001b[');
  });

  it.skipIf(!hasScript)('respects NO_COLOR on a TTY and FORCE_COLOR through a pipe', () => {
    const file = ws.samplePcd();
    ws.run(['run', 'potree', '--file', file]);
    expect(runOnTty(['run', 'potree', '--file', file], { CI: '', NO_COLOR: '1' })).not.toContain('\u001b[');
    const piped = ws.run(['run', 'potree', '--file', file], { env: { FORCE_COLOR: '1', NO_COLOR: '' } });
    expect(piped.stderr).toContain('\u001b[32mhit\u001b[39m potree');
  });

  it('prints no spinner or colour when not a TTY', () => {
    const file = ws.samplePcd();
    const result = ws.run(['run', 'potree', '--file', file], { env: { CI: '', NO_COLOR: '' } });
    expect(result.stderr).not.toContain('\u001b[');
    expect(result.stderr).toMatch(/^running potree [0-9a-f]{12}…$/m);
  });
});

describe('inputs', () => {
  it.skipIf(!hasStrace)('does not re-read an unchanged input on a hit (digest cache keyed by stat)', () => {
    const file = ws.samplePcd();
    ws.run(['run', 'potree', '--file', file]);
    // The first digest of a file younger than a second is not remembered (racy-clean guard): age it.
    const old = new Date(Date.now() - 60_000);
    utimesSync(file, old, old);
    ws.run(['run', 'potree', '--file', file]);
    const trace = ws.path('trace.txt');
    const result = spawnSync(
      'strace',
      ['-f', '-e', 'trace=openat', '-o', trace, process.execPath, CLI, 'run', 'potree', '--file', file],
      { cwd: ws.dir, env: ws.env, encoding: 'utf8' },
    );
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/^hit /m);
    const opens = readFileSync(trace, 'utf8')
      .split('\n')
      .filter((l) => l.includes(path.basename(file)) && l.includes('openat'));
    expect(opens).toEqual([]);
  });

  it('returns but does not store a result when an input changed while the task ran', () => {
    const file = ws.samplePcd();
    const result = ws.run(['run', 'potree', '--file', file], { env: { FAKE_TOUCH_INPUT: '1' } });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('converted a.pcd\n');
    expect(result.stderr).toMatch(/not stored: an input file changed while the task ran/);
    expect(existsSync(path.join(ws.data, 'cache'))).toBe(false);
  });
});

describe.skipIf(cannotMount())(withReason('materialising across devices', cannotMount()), () => {
  it('--out on another file system falls back from hard links to copies', () => {
    const file = ws.samplePcd();
    ws.run(['run', 'potree', '--file', file]);
    const target = ws.path('other-fs');
    mkdirSync(target);
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', target]).status).toBe(0);
    try {
      for (const link of ['hardlink', 'auto']) {
        const result = ws.run(['run', 'potree', '--file', file, '--out', path.join(target, link), '--link', link]);
        expect(result.code).toBe(0);
        expect(result.stderr).toMatch(/^hit /m);
        const copied = path.join(target, link, 'cloud.bin');
        expect(statSync(copied).nlink).toBe(1);
        expect(readFileSync(copied).length).toBe(4096);
      }
    } finally {
      spawnSync('umount', [target]);
    }
  });
});
