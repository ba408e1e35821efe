import { closeSync, ftruncateSync, openSync, utimesSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Workspace } from '../helpers/cli.js';
import { hasScript, runOnTty, screen } from '../helpers/tty.js';

const GiB = 1024 ** 3;

let ws: Workspace;
beforeEach(() => {
  ws = new Workspace('cachex-progress-');
});
afterEach(() => ws.cleanup());

/**
 * A big input made in no time: a sparse file (holes read as zeros) still
 * takes sha256 a good half second per GiB. Written an hour ago, so its digest
 * is remembered (a file written in the last second never is).
 */
function bigFile(rel: string, bytes: number): string {
  const file = ws.path(rel);
  const fd = openSync(file, 'w');
  ftruncateSync(fd, bytes);
  closeSync(fd);
  const past = new Date(Date.now() - 3_600_000);
  utimesSync(file, past, past);
  return file;
}

/** Placing reports from its first step, and every report is printed: progress lines that do not depend on timing. */
const REPORT_ALL = { CACHEX_PROGRESS_EVERY: '0', CACHEX_TEST_PLACE_QUIET_MS: '0' };

const hashBig = () => ['exec', '--input', 'big.bin', '--name', 'hash', '--', 'true'];

/** The plain progress lines of a run: the elapsed time each one gives, in ms. */
function plainLines(stderr: string, verb: string): { line: string; ms: number }[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith(`cachex: ${verb} `) && / after /.test(l))
    .map((line) => {
      // formatDuration: "850ms", "12.3s", and past a minute "1m4s" (a busy machine hashes that slowly).
      const m = / after (?:(\d+)m(\d+)s|(\d+(?:\.\d+)?)(ms|s)), /.exec(line);
      if (!m) throw new Error(`no elapsed time in ${JSON.stringify(line)}`);
      if (m[1] !== undefined) return { line, ms: (Number(m[1]) * 60 + Number(m[2])) * 1000 };
      return { line, ms: Number(m[3]) * (m[4] === 's' ? 1000 : 1) };
    });
}

describe('progress on long work', () => {
  it.skipIf(!hasScript)(
    'on a terminal, hashing a large input shows bytes and a rate, erased when done',
    () => {
      // Half a GiB: a quarter second of hashing or more, past the 100 ms before a report.
      bigFile('big.bin', GiB / 2);
      const first = runOnTty(ws, hashBig());
      expect(first.code).toBe(0);
      expect(first.output).toMatch(/hashing big\.bin {2}\d+(\.\d)? [kMG]?B of 537 MB \(\d+ %\), \d+(\.\d)? [kMG]?B\/s/);
      const shown = screen(first.output);
      expect(shown.some((l) => l.includes('hashing'))).toBe(false); // erased, never left behind
      expect(shown.some((l) => /^miss hash [0-9a-f]{12}/.test(l))).toBe(true);
      // A hit of the same input: its digest is remembered, so nothing long happens and nothing is shown.
      const hit = runOnTty(ws, hashBig());
      expect(screen(hit.output).some((l) => /^hit hash [0-9a-f]{12}/.test(l))).toBe(true);
      expect(hit.output).not.toMatch(/hashing|B\/s|\u001b\[2K/);
    },
    180_000,
  );

  it.skipIf(!hasScript)(
    'on a terminal, storing progress never draws over a line the task left unfinished',
    () => {
      ws.config(`import { defineConfig } from 'cachex';
export default defineConfig({ tasks: { big: { command: ['sh', '-c', 'printf "Downloading... "; truncate -s 512M "$1/big.bin"', 'sh', '{out}'] } } });
`);
      const run = runOnTty(ws, ['run', 'big']);
      expect(run.code).toBe(0);
      expect(run.output).toMatch(/storing out\/big\.bin {2}.+ of 537 MB \(\d+ %\), .+B\/s/);
      const shown = screen(run.output);
      expect(shown[0]).toBe('Downloading...'); // the task's own line, intact (trailing space trimmed by screen())
      expect(shown.some((l) => l.includes('storing'))).toBe(false);
      expect(shown.some((l) => /^miss big [0-9a-f]{12}/.test(l))).toBe(true);
    },
    180_000,
  );

  it('without a terminal, a plain line only once the work has lasted the interval, then at most that often', () => {
    // A GiB takes half a second or more to hash: two intervals and more.
    bigFile('big.bin', GiB);
    const every = 150; // CACHEX_PROGRESS_EVERY stands in for the 5 s a test cannot wait
    const run = ws.run(hashBig(), { env: { CACHEX_PROGRESS_EVERY: String(every) } });
    expect(run.code, run.stderr).toBe(0);
    const lines = plainLines(run.stderr, 'hashing');
    expect(lines.length, run.stderr).toBeGreaterThanOrEqual(2);
    for (const { line } of lines)
      expect(line).toMatch(/^cachex: hashing big\.bin: .+ of 1\.1 GB \(\d+ %\) after .+, .+B\/s$/);
    // Durations of a second or more are shown to a tenth: allow for that rounding. Past a minute
    // (only on a very busy machine) they are whole seconds, too coarse to tell 300 ms apart.
    expect(lines[0].ms).toBeGreaterThanOrEqual(every - 50);
    for (let i = 1; i < lines.length && lines[i].ms < 60_000; i++)
      expect(lines[i].ms - lines[i - 1].ms).toBeGreaterThanOrEqual(every - 100);
    expect(run.stderr).toMatch(/^cachex: hashing big\.bin: done, 1\.1 GB in .+, .+B\/s$/m);
  }, 180_000);

  it('storing a large output shows progress too', () => {
    ws.config(`import { defineConfig } from 'cachex';
export default defineConfig({ tasks: { big: { command: ['truncate', '-s', '512M', '{out}/big.bin'] } } });
`);
    // Half a GiB: a quarter second of hashing or more, past the interval.
    const run = ws.run(['run', 'big'], { env: { CACHEX_PROGRESS_EVERY: '100' } });
    expect(run.code, run.stderr).toBe(0);
    expect(plainLines(run.stderr, 'storing').length, run.stderr).toBeGreaterThanOrEqual(1);
    expect(run.stderr).toMatch(/^cachex: storing out\/big\.bin: .+ of 537 MB \(\d+ %\) after .+, .+B\/s$/m);
  }, 180_000);

  it('placing many outputs (--out) shows how far it got', () => {
    const script =
      "const fs=require('fs');for(let i=0;i<2000;i++)fs.writeFileSync(process.argv[1]+'/f'+i+'.bin',Buffer.alloc(8192,i%251))";
    ws.config(`import { defineConfig } from 'cachex';
export default defineConfig({ tasks: { many: { command: [${JSON.stringify(process.execPath)}, '-e', ${JSON.stringify(script)}, '{out}'] } } });
`);
    expect(ws.run(['run', 'many']).code).toBe(0);
    // No interval and no quiet start: a line after each file, however fast this machine places them.
    const hit = ws.run(['run', 'many', '--out', 'restored'], { env: REPORT_ALL });
    expect(hit.code, hit.stderr).toBe(0);
    expect(hit.stderr).toMatch(/^hit many /m);
    expect(hit.stderr).toMatch(/^cachex: placing outputs in restored: .+ of 16 MB \(\d+ %\) after .+, .+B\/s$/m);
    expect(hit.stderr).toMatch(/^cachex: placing outputs in restored: done, 16 MB in .+$/m);
  }, 180_000);

  it('placing one large file (--out, --link copy) shows how far into it the copy got', () => {
    ws.config(`import { defineConfig } from 'cachex';
export default defineConfig({ tasks: { one: { command: ['truncate', '-s', '256M', '{out}/big.bin'] } } });
`);
    expect(ws.run(['run', 'one']).code).toBe(0);
    // A line after each chunk of the copy, however fast this machine copies (a sparse 256 MB file
    // once took less than the 100 ms a placement must last before it reports at all).
    const hit = ws.run(['run', 'one', '--out', 'restored', '--link', 'copy'], { env: REPORT_ALL });
    expect(hit.code, hit.stderr).toBe(0);
    expect(hit.stderr).toMatch(/^hit one /m);
    const percents = plainLines(hit.stderr, 'placing').map((l) => Number(/\((\d+) %\)/.exec(l.line)?.[1]));
    // A line from inside the one file's copy, not only after it (a single kernel copy tells nothing).
    expect(
      percents.some((p) => p < 100),
      hit.stderr,
    ).toBe(true);
    expect(hit.stderr).toMatch(/^cachex: placing outputs in restored: done, 268 MB in .+$/m);
  }, 180_000);

  it('quick work and hits print no progress at all', () => {
    ws.write('small.txt', 'small\n');
    const env = { CACHEX_PROGRESS_EVERY: '0' };
    const miss = ws.run(['exec', '--input', 'small.txt', '--name', 'small', '--', 'true'], { env });
    expect(miss.code).toBe(0);
    expect(miss.stderr).toMatch(/^miss small /m);
    expect(miss.stderr).not.toMatch(/^cachex: (hashing|storing)/m);
    // Long enough to hash that a hash would report (about 0.5 s here, past the 100 ms quiet start);
    // its digest is remembered, so a hit hashes nothing.
    bigFile('big.bin', 256 * 1024 ** 2);
    expect(ws.run(hashBig()).code).toBe(0);
    const hit = ws.run(hashBig(), { env });
    expect(hit.stderr).toMatch(/^hit hash [0-9a-f]{12}/);
    expect(hit.stderr.split('\n').filter(Boolean)).toHaveLength(1); // the status line alone
  }, 180_000);
});
