/**
 * Stopping a task stops all of it: a command task runs in its own process
 * group, and SIGTERM / Ctrl-C to cachex stop the whole group (TERM, then KILL
 * after the 3 s grace period), so cachex exits within the grace period plus
 * 1 s with no process of the run left. A task killed by a signal makes cachex
 * exit 128 + n, as a shell does.
 */
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Workspace } from '../../helpers/cli.js';
import { entryDirs, list, stagingDirs, startGroup, waitFor } from '../../helpers/faults.js';

const GRACE_MS = 3_000;

let ws: Workspace;
let pids: number[] = [];
afterEach(() => {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone, as it should be */
    }
  }
  pids = [];
  ws?.cleanup();
});

/**
 * A stand-in converter that starts children, as real converters do (worker
 * processes, a shell pipeline): two `sleep` children, its own PID and theirs
 * appended to $CONV_PIDS. With CONV_IGNORE_TERM=1 it and its children ignore
 * SIGTERM, so only SIGKILL stops them.
 */
const CONVERTER = `#!/bin/sh
[ "$CONV_IGNORE_TERM" = 1 ] && trap '' TERM
echo $$ >> "$CONV_PIDS"
sleep "$CONV_SLEEP" &
echo $! >> "$CONV_PIDS"
sleep "$CONV_SLEEP" &
echo $! >> "$CONV_PIDS"
wait
wait
`;

function setup(): void {
  ws = new Workspace();
  const converter = ws.write('conv.sh', CONVERTER);
  chmodSync(converter, 0o755);
  ws.write('in/a.txt', 'a\n');
  ws.config(`import { defineConfig } from 'cachex';
export default defineConfig({
  tasks: {
    conv: {
      description: 'stand-in converter with sleep children',
      params: { file: { type: 'file', required: true } },
      command: [${JSON.stringify(converter)}, '{file}', '-o', '{out}'],
    },
    abort: { description: 'a program killed by SIGABRT', params: {}, command: ['sh', '-c', 'kill -ABRT $$'] },
    killed: { description: 'a program killed by SIGKILL', params: {}, command: ['sh', '-c', 'kill -KILL $$'] },
  },
});
`);
}

/** Live processes (not zombies waiting for init) among `candidates`, read from /proc. */
function alive(candidates: number[]): number[] {
  return candidates.filter((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] !== 'Z';
    } catch {
      return false;
    }
  });
}

function recordedPids(file: string): number[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);
}

describe('stopping a task stops its whole process group', () => {
  it.each([
    ['SIGTERM', false, 143],
    ['SIGINT', false, 130],
    ['SIGTERM', true, 143],
  ] as const)(
    '%s to cachex (converter ignores TERM: %s) exits %i within the grace period + 1 s, leaving no process of the run',
    async (signal, ignoreTerm, code) => {
      setup();
      const pidFile = ws.path('pids.txt');
      const env = { CONV_PIDS: pidFile, CONV_SLEEP: '60', CONV_IGNORE_TERM: ignoreTerm ? '1' : '0' };
      const run = startGroup(ws, ['run', 'conv', '--file', 'in/a.txt'], env);
      await waitFor(() => recordedPids(pidFile).length === 3, 30_000, 'the converter and its two children');
      pids = recordedPids(pidFile);
      expect(alive(pids)).toEqual(pids);
      const started = Date.now();
      process.kill(run.child.pid!, signal); // cachex only, as `kill <pid>`, Docker or Kubernetes would
      const result = await run.done;
      const elapsed = Date.now() - started;
      expect(result.code ?? 128 + (result.signal === 'SIGINT' ? 2 : 15)).toBe(code);
      expect(elapsed).toBeLessThan(GRACE_MS + 1_000);
      // TERM is enough there: no waiting for the grace period. (A shell starts `&` children with SIGINT
      // ignored, so after SIGINT they are among what the SIGKILL at the end of the grace period stops.)
      if (signal === 'SIGTERM' && !ignoreTerm) expect(elapsed).toBeLessThan(GRACE_MS);
      // No process of the run is left: cachex waited for the group to be gone before it exited.
      expect(alive(pids)).toEqual([]);
      expect(result.stderr).toMatch(new RegExp(`not stored: the run was interrupted by ${signal}`));
      expect(stagingDirs(ws)).toEqual([]);
      const locks = path.join(ws.data, 'locks', 'tasks', 'conv');
      expect(existsSync(locks)).toBe(true);
      expect(list(locks)).toEqual([]);
      expect(entryDirs(ws.data)).toEqual([]);
      run.killGroup('SIGKILL');
    },
    60_000,
  );
});

describe('a command killed by a signal', () => {
  it.each([
    ['abort', 'SIGABRT', 134],
    ['killed', 'SIGKILL', 137],
  ] as const)('%s makes cachex exit 128 + n (%s → %i), as a shell does, and is not stored', (task, signal, code) => {
    setup();
    const first = ws.run(['run', task]);
    expect(first.code, first.stderr).toBe(code);
    expect(first.stderr).toMatch(new RegExp(`not stored: the run was killed by ${signal}`));
    expect(entryDirs(ws.data)).toEqual([]);
    const second = ws.run(['run', task]);
    expect(second.code).toBe(code);
    expect(second.stderr).toMatch(new RegExp(`^miss ${task} `, 'm'));
  });
});
