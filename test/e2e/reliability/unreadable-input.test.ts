/**
 * An input that exists but cannot be read (SPEC §7: bad input) is refused
 * with exit 2 and one sentence naming it, runs nothing and stores nothing.
 * Root reads every file whatever its mode, so cachex runs here as the nobody
 * user (setpriv), as a CI job or a developer would.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, Workspace } from '../../helpers/cli.js';
import { cx, entryDirs, errorLines, oneErrorSentence, spawnGroup, withReason } from '../../helpers/faults.js';

let setprivReason: string | null | undefined;
function cannotSetpriv(): string | null {
  if (setprivReason !== undefined) return setprivReason;
  if (process.getuid?.() !== 0)
    return (setprivReason = 'needs root to switch to the nobody user (root reads any file)');
  const probe = spawnSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', 'true']);
  return (setprivReason = probe.status === 0 ? null : 'setpriv cannot switch to nobody/nogroup here');
}

let ws: Workspace;
afterEach(() => ws?.cleanup());

function asNobody(args: string[]) {
  return spawnGroup(ws, [
    'setpriv',
    '--reuid=nobody',
    '--regid=nogroup',
    '--clear-groups',
    'env',
    `HOME=${ws.dir}`,
    process.execPath,
    CLI,
    ...args,
  ]).done;
}

describe.skipIf(cannotSetpriv())(
  withReason('an unreadable input (cachex run as the nobody user)', cannotSetpriv()),
  () => {
    it.each([
      ['a file param', 'file'],
      ['an exec --input folder', 'folder'],
    ] as const)('%s with mode 000 gives exit 2 and one sentence naming it; nothing runs', async (_label, kind) => {
      ws = new Workspace();
      chmodSync(ws.dir, 0o755);
      mkdirSync(ws.data, { mode: 0o777 });
      chmodSync(ws.data, 0o777);
      // What the tasks write, once they may run: the converter's call log and the exec command's mark.
      for (const file of [ws.fakeLog, ws.path('exec-ran.txt')])
        chmodSync(ws.write(file.slice(ws.dir.length + 1), ''), 0o666);
      const input = kind === 'file' ? ws.samplePcd('in/secret.pcd') : ws.path('in/locked');
      if (kind === 'folder') mkdirSync(input, { recursive: true });
      chmodSync(ws.path('in'), 0o755);
      chmodSync(input, 0o000);
      const args =
        kind === 'file'
          ? cx(['run', 'potree', '--file', 'in/secret.pcd'])
          : ['exec', '--input', 'in/locked', '--', 'sh', '-c', `echo ran >> ${ws.path('exec-ran.txt')}`];
      const result = await asNobody(args);
      expect(result.code, result.stderr).toBe(2);
      expect(oneErrorSentence(result.stderr), result.stderr).toBe(true);
      const noun = kind === 'file' ? 'file' : 'folder';
      expect(errorLines(result.stderr)[0]).toBe(
        `error: The input ${noun} ${input} cannot be read (permission denied); make it readable for this user (chmod +r) or pass another one.`,
      );
      expect(ws.converterRuns()).toBe(0);
      expect(readFileSync(ws.path('exec-ran.txt'), 'utf8')).toBe('');
      expect(entryDirs(ws.data)).toEqual([]);
      // Once readable, the same run works.
      chmodSync(input, kind === 'file' ? 0o644 : 0o755);
      const fixed = await asNobody(args);
      expect(fixed.code, fixed.stderr).toBe(0);
      expect(kind === 'file' ? ws.converterRuns() : readFileSync(ws.path('exec-ran.txt'), 'utf8')).toBe(
        kind === 'file' ? 1 : 'ran\n',
      );
    });
  },
);
