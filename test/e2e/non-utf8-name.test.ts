/**
 * A file whose name is not UTF-8 (issue 12, item 12): Node decodes argv
 * lossily, so cachex used to key and record it as /proc/<pid>/fd/<n>. Now the
 * real name (bytes kept, escaped as in src/tasks/name-bytes.ts) is in the key
 * and meta.yaml, `ls` shows it readably, `rebuild` reopens it, and the command
 * receives the name's very bytes.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, Workspace, type CliResult } from '../helpers/cli.js';

let ws: Workspace;
afterEach(() => ws?.cleanup());

const CONFIG = `import { defineConfig } from 'cachex';
export default defineConfig({
  tasks: {
    echoName: {
      params: { file: { type: 'file', required: true, keyBy: 'path' } },
      command: ['sh', '-c', 'printf %s "$1" > "$2/arg.bin"', 'sh', '{file}', '{out}'],
    },
  },
});
`;

/** `x<0xff>.txt`: byte 0xFF never occurs in UTF-8. */
const NAME = Buffer.concat([Buffer.from('x'), Buffer.from([0xff]), Buffer.from('.txt')]);

/** The CLI with `--file <NAME>` spelt in raw bytes: a shell builds the argument with printf (spawn would send UTF-8). */
function runWithName(args: string[]): Promise<CliResult> {
  const script = 'name=$(printf "x\\377.txt") && exec "$@" --file "$name"';
  const child = spawn('sh', ['-c', script, 'sh', process.execPath, CLI, ...args], {
    cwd: ws.dir,
    env: ws.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

describe.runIf(process.platform === 'linux')('a file name that is not UTF-8', () => {
  it('is keyed and recorded by its real name, passed to the command byte for byte, listed and rebuilt', async () => {
    ws = new Workspace();
    ws.config(CONFIG);
    const file = Buffer.concat([Buffer.from(`${ws.dir}/`), NAME]);
    writeFileSync(file, 'content\n');

    const first = await runWithName(['run', 'echoName', '--json']);
    expect(first.code, first.stderr).toBe(0);
    const { status, key, outDir } = JSON.parse(first.stdout);
    expect(status).toBe('miss');
    // The command got the real name's bytes, not /proc/<pid>/fd/<n>.
    expect(readFileSync(path.join(outDir, 'arg.bin')).equals(file)).toBe(true);

    // keyBy path: the same name is the same key, a hit.
    const second = await runWithName(['run', 'echoName', '--json']);
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ status: 'hit', key });

    // why and --dry-run see the same real name.
    const why = await runWithName(['why', 'echoName']);
    expect(why.stdout).toMatch(/would hit/);
    const dry = JSON.parse((await runWithName(['run', 'echoName', '--dry-run', '--json'])).stdout);
    expect(dry).toMatchObject({ status: 'hit', key, params: { file: `${ws.dir}/x\udcff.txt` } });

    // meta.yaml: the real name, its byte 0xFF as the escape \udcff (JSON, reversible).
    const meta = readFileSync(path.join(ws.data, 'cache', 'tasks', 'echoName', key, 'meta.yaml'), 'utf8');
    expect(meta).toContain(`value: ${JSON.stringify(`${ws.dir}/x\udcff.txt`)}`);
    expect(meta).toMatch(/^ {6}path: "x\\udcff\.txt"$/m);
    expect(meta).not.toContain('/proc/');

    // ls shows the name readably.
    const ls = ws.run(['ls']);
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.stdout).toContain('file=x\\xff.txt');

    // rebuild reopens the file by its bytes and replaces the entry under the same key.
    const rebuilt = ws.run(['rebuild', key.slice(0, 8), '--json']);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(JSON.parse(rebuilt.stdout)).toMatchObject({ rebuilt: [{ key, newKey: null }], failed: [] });
    expect(readFileSync(path.join(outDir, 'arg.bin')).equals(file)).toBe(true);
  });

  it('exec passes a non-UTF-8 argument and --input byte for byte, keys them by their real names, and hits', async () => {
    ws = new Workspace();
    const file = Buffer.concat([Buffer.from(`${ws.dir}/`), NAME]);
    writeFileSync(file, 'content\n');
    const inner = 'mkdir -p out && printf %s "$1" > out/arg.bin && cat "$1" >> out/arg.bin';
    const exec = (...extra: string[]): Promise<CliResult> => {
      const script = `n=$(printf "x\\377.txt") && exec "$0" "$1" exec ${extra.join(' ')} --input "$n" --output out -- sh -c "$2" sh "$n"`;
      const child = spawn('sh', ['-c', script, process.execPath, CLI, inner], {
        cwd: ws.dir,
        env: ws.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
    };
    const first = await exec();
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/^miss sh /m);
    expect(readFileSync(ws.path('out', 'arg.bin')).equals(Buffer.concat([NAME, Buffer.from('content\n')]))).toBe(true);
    const dry = JSON.parse((await exec('--dry-run', '--json')).stdout);
    expect(dry.status).toBe('hit');
    expect(dry.keyInputs.command[4]).toBe('x\udcff.txt');
    expect(dry.keyInputs.params.inputs[0].path).toBe('x\udcff.txt');
    const second = await exec();
    expect(second.stderr).toMatch(/^hit sh /m);
  });
});
