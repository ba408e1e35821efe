import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI, REPO, Workspace } from '../helpers/cli.js';

/**
 * What a hit's start avoids (bin/cachex.js, src/cli/fd-streams.ts, key/digest.ts,
 * output/v8-value.ts): the builtins a hit does not need, Node's stream objects for pipes and
 * files, a compile of the bundle when V8's code cache is there — with the same bytes out, and
 * the same behaviour on a closed or non-blocking pipe.
 */

const LOG_BUILTINS = path.join(REPO, 'test', 'fixtures', 'log-builtins.cjs');
const BUNDLE = path.join(REPO, 'dist', 'cli', 'cachex.cjs');
const CODE_CACHE = path.join(REPO, 'dist', 'cli', `cachex.cjs.${process.version}-${process.arch}.v8cache`);

let ws: Workspace;
beforeEach(() => {
  ws = new Workspace('cachex-hitstart-');
  ws.config(`import { defineConfig } from 'cachex';
export default defineConfig({ tasks: {
  hello: { command: ['sh', '-c', 'echo "hello $0"', '{name}'], params: { name: { type: 'string', default: 'world' } } },
  many: { command: ['sh', '-c', 'i=0; while [ $i -lt 20000 ]; do echo "line $i of many"; i=$((i+1)); done'] },
  fails: { cacheFailures: true, command: ['sh', '-c', 'echo broken; exit 3'] },
  double: { params: { n: { type: 'number', default: 21 } }, run: async ({ n }) => ({ twice: n * 2, list: [n, 'é☃'] }) },
}});
`);
});
afterEach(() => ws.cleanup());

/** Runs a task until its hit takes the hit path (a run or two after the miss saves the config). */
function warm(task: string): void {
  for (let i = 0; i < 4; i++) ws.run(['run', task]);
}

function builtinsOf(args: string[]): { builtins: string[]; stdout: string; stderr: string; code: number | null } {
  const log = ws.path('builtins.log');
  const r = ws.run(args, { env: { LOG_BUILTINS: log, NODE_OPTIONS: `--require ${LOG_BUILTINS}` } });
  const builtins = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  return { ...r, builtins };
}

describe("a hit's start", () => {
  it('loads no builtin beyond those of `node -e 0` but vm (no crypto, streams, net, tty, v8, os) when stdout and stderr are pipes', () => {
    const log = ws.path('floor.log');
    spawnSync(process.execPath, ['--require', LOG_BUILTINS, '-e', '0'], { env: { ...ws.env, LOG_BUILTINS: log } });
    const floor = new Set(readFileSync(log, 'utf8').split('\n').filter(Boolean));
    expect(floor.size).toBeGreaterThan(10);
    for (const task of ['hello', 'double']) {
      warm(task);
      const hit = builtinsOf(['run', task]);
      expect(hit.stderr).toMatch(/^hit /m);
      const extra = hit.builtins.filter((m) => !floor.has(m));
      expect(extra, task).toEqual(['vm']);
    }
  });

  it('says the same bytes as through a terminal-less full run, also for a task function and a failure', () => {
    for (const task of ['hello', 'double', 'fails']) {
      warm(task);
      const hit = ws.run(['run', task]);
      // The full CLI answering the same hit: the saved config removed, so it loads from its file.
      for (const name of readdirSync(path.join(ws.data, 'configs')))
        writeFileSync(path.join(ws.data, 'configs', name), '');
      const full = ws.run(['run', task]);
      expect(hit).toEqual(full);
      expect(hit.stderr).toMatch(/^hit /m);
    }
  });

  it('keeps the exit code and says its hit line when stdout is closed before the hit writes', async () => {
    warm('fails');
    const { child, done } = ws.start(['run', 'fails']);
    child.stdout.destroy(); // the reader is gone before cachex starts writing
    const r = await done;
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/^hit fails /m);
    expect(r.stderr).not.toMatch(/EPIPE|Error/);
  });

  it('gives every byte, in order, to a non-blocking pipe that fills up (Node takes over on EAGAIN)', () => {
    warm('many');
    const expected = ws.run(['run', 'many']);
    expect(expected.stdout.length).toBeGreaterThan(300_000); // several times a pipe's buffer
    // A stand-in parent (python3, called by its real path: a version manager's shim would change PATH, which
    // the saved config depends on) that makes the pipe non-blocking and reads it only once it is full.
    const python = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], {
      encoding: 'utf8',
    }).stdout.trim();
    const harness = `
import fcntl, os, struct, subprocess, sys, termios, time
r, w = os.pipe()
os.set_blocking(w, False)
p = subprocess.Popen([sys.argv[1], sys.argv[2], 'run', 'many'], stdout=w, stderr=subprocess.PIPE)
os.close(w)
deadline = time.time() + 60
while time.time() < deadline and p.poll() is None:
    waiting = struct.unpack('i', fcntl.ioctl(r, termios.FIONREAD, b'\\0\\0\\0\\0'))[0]
    if waiting >= 65536:
        break
    time.sleep(0.01)
time.sleep(0.3)  # the writer has met the full pipe (EAGAIN) by now
out = b''
while True:
    chunk = os.read(r, 65536)
    if not chunk:
        break
    out += chunk
err = p.stderr.read()
p.wait()
sys.stdout.buffer.write(out)
sys.stderr.buffer.write(err)
sys.exit(p.returncode)
`;
    const r = spawnSync(python, ['-c', harness, process.execPath, CLI], {
      cwd: ws.path(),
      env: ws.env,
      encoding: 'utf8',
      maxBuffer: 64 << 20,
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^hit many /m);
    expect(r.stdout === expected.stdout, 'the same bytes').toBe(true);
  });

  it("keeps V8's code cache beside the bundle, stamped with the bundle's stat; a damaged one is replaced", () => {
    warm('hello');
    ws.run(['run', 'hello']);
    expect(existsSync(CODE_CACHE)).toBe(true);
    const st = statSync(BUNDLE);
    const stamp = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}\n`;
    expect(readFileSync(CODE_CACHE, 'latin1').startsWith(stamp)).toBe(true);
    const good = ws.run(['run', 'hello']);
    // Right stamp, wrong code: V8 refuses it, the hit compiles the bundle, says the same, writes a good cache.
    writeFileSync(CODE_CACHE, Buffer.concat([Buffer.from(stamp, 'latin1'), Buffer.alloc(50_000, 7)]), { mode: 0o644 });
    expect(ws.run(['run', 'hello'])).toEqual(good);
    expect(
      readFileSync(CODE_CACHE)
        .subarray(stamp.length, stamp.length + 100)
        .equals(Buffer.alloc(100, 7)),
    ).toBe(false);
    // Another stamp (a rebuilt bundle): not used, and the hit says the same.
    writeFileSync(CODE_CACHE, `0:0:0:0:0\n${'x'.repeat(1000)}`, { mode: 0o644 });
    expect(ws.run(['run', 'hello'])).toEqual(good);
  });
});
