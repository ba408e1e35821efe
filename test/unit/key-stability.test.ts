import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DigestCache } from '../../src/key/digest.js';
import { computeKey, keyOfInputs } from '../../src/key/inputs.js';
import { taskFromSpec } from '../../src/tasks/task.js';

// The expected keys were computed by cachex before the tool identity (libraries, tool.inputs,
// tool.versionCommand) entered command-task keys: TypeScript tasks, library functions and
// commands that load no library of their own must keep their entries. The working folder
// (issue 12 item 10) deliberately moved command-task keys: only by that one input.
const dir = mkdtempSync(path.join(tmpdir(), 'cachex-keys-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  delete process.env.CACHEX_KEY_TEST_TOOL; // the worker runs other files after this one
});
const ctx = { digests: new DigestCache(null), cwd: dir, projectRoot: dir };

describe('keys that the tool identity must not move', () => {
  it('a TypeScript task', () => {
    const task = taskFromSpec('convert', {
      version: 2,
      params: { resolution: { type: 'number' } },
      run: async () => 1,
    });
    task.codeDigest = 'c'.repeat(64); // the function's source digest depends on how it was compiled
    expect(computeKey(task, { resolution: 0.1 }, ctx).key).toBe(
      '6bf50c4241c43ea9560400a70e6bb493ba5d6deaae5f50adcd6bedf0f38d42b5',
    );
  });

  it('a library function (kind function, project root = cwd)', () => {
    const task = { ...taskFromSpec('lib', { run: () => 0 }), module: 'library', codeDigest: 'd'.repeat(64) };
    expect(computeKey(task, { n: 3 }, ctx).key).toBe(
      'fedf6decdbaba5655fec771dd23f446f536498d009863473f233bdfa2cb5181a',
    );
  });

  it('a command whose executable is a script (it loads no library of its own)', () => {
    const script = path.join(dir, 'tool.sh');
    writeFileSync(script, '#!/bin/sh\necho hi > "$1/out.txt"\n');
    chmodSync(script, 0o755);
    process.env.CACHEX_KEY_TEST_TOOL = script; // argv[0]'s variable is not keyed: its path may differ between machines
    const task = taskFromSpec('sh', { command: ['${CACHEX_KEY_TEST_TOOL}', '{out}'] });
    const { key, inputs } = computeKey(task, {}, ctx);
    expect(inputs.workingFolder).toBe('.');
    expect(key).toBe('b71869149aad88ba3cd29b50696e2a4acb0b7b3bd9b00d3ab6af8de7de2ae27c');
    // Without the working folder it is the key from before: nothing else moved.
    expect(keyOfInputs({ ...inputs, workingFolder: undefined })).toBe(
      '7003504e3be0899da918323f30ef89641efe9e6e1e79b0422d0edbe6f34aa5c6',
    );
  });
});
