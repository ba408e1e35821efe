/**
 * A working folder whose name is not UTF-8 (Latin-1 from an old archive, say):
 * Node decodes its name lossily, yet relative paths on the command line name
 * the same files as in any other folder, and commands run in the real folder.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, SAMPLE_PCD, Workspace, type CliResult } from '../../helpers/cli.js';
import { cx } from '../../helpers/faults.js';

let ws: Workspace;
afterEach(() => ws?.cleanup());

/** `café` with é in Latin-1 (one byte 0xE9): not valid UTF-8. */
const LATIN1_NAME = Buffer.concat([Buffer.from('caf'), Buffer.from([0xe9])]);

/**
 * Runs the CLI inside the folder. Node passes a cwd only as a (UTF-8) string,
 * so a shell changes into it, its name spelt with printf's octal escape.
 */
function runIn(args: string[]): Promise<CliResult> {
  const script = 'cd "$(printf "%s/caf\\351" "$BASE")" && exec "$@"';
  const child = spawn('sh', ['-c', script, 'sh', process.execPath, CLI, ...args], {
    cwd: ws.dir,
    env: { ...ws.env, BASE: ws.dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

describe('a working folder whose name is not UTF-8', () => {
  it('a relative --file names the file inside it: the task runs, stores and then hits', async () => {
    ws = new Workspace();
    const folder = Buffer.concat([Buffer.from(`${ws.dir}/`), LATIN1_NAME]);
    mkdirSync(folder);
    copyFileSync(SAMPLE_PCD, Buffer.concat([folder, Buffer.from('/a.pcd')]));
    const first = await runIn(cx(['run', 'potree', '--file', 'a.pcd']));
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe('converted a.pcd\n');
    expect(first.stderr).toMatch(/^miss potree /m);
    const second = await runIn(cx(['run', 'potree', '--file', 'a.pcd']));
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/^hit potree /m);
    expect(second.stdout).toBe(first.stdout);
    // The same content under another name in this folder is the same key: the relative path was resolved to this very file.
    copyFileSync(SAMPLE_PCD, Buffer.concat([folder, Buffer.from('/b.pcd')]));
    expect((await runIn(cx(['run', 'potree', '--file', 'b.pcd']))).stderr).toMatch(/^hit potree /m);
    expect(ws.converterRuns()).toBe(1);
    // The working folder is in a command task's key by its real bytes (0xE9 escaped as U+DCE9), not the lossy name.
    const dry = await runIn(cx(['run', 'potree', '--file', 'a.pcd', '--dry-run', '--json']));
    const workingFolder: string = JSON.parse(dry.stdout).keyInputs.workingFolder;
    expect(workingFolder.endsWith(`${path.basename(ws.dir)}/caf\udce9`), workingFolder).toBe(true);
    // The parent folder is other work.
    copyFileSync(SAMPLE_PCD, ws.path('b.pcd'));
    expect(ws.run(cx(['run', 'potree', '--file', 'b.pcd'])).stderr).toMatch(
      /^miss potree \S+ \(working folder changed;/m,
    );
  });

  it('exec --input with a relative path hashes the file there and runs the command in that folder', async () => {
    ws = new Workspace();
    const folder = Buffer.concat([Buffer.from(`${ws.dir}/`), LATIN1_NAME]);
    mkdirSync(folder);
    copyFileSync(SAMPLE_PCD, Buffer.concat([folder, Buffer.from('/a.pcd')]));
    const args = [
      'exec',
      '--input',
      'a.pcd',
      '--',
      'sh',
      '-c',
      'wc -c < a.pcd; printf %s "$(pwd)" | od -An -c | tr -d " \\n"',
    ];
    const first = await runIn(args);
    expect(first.code, first.stderr).toBe(0);
    const [size, pwd] = first.stdout.trim().split('\n');
    expect(Number(size)).toBeGreaterThan(0);
    expect(pwd.endsWith(`${path.basename(ws.dir)}/caf351`)).toBe(true); // the real folder, byte 0xE9 intact
    const second = await runIn(args);
    expect(second.stderr).toMatch(/^hit sh /m);
    expect(second.stdout).toBe(first.stdout);
  });
});
