import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DigestCache, type HashProgress, sha256File } from '../../src/key/digest.js';

describe('hashing progress', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'cachex-digest-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('says nothing for an input hashed at once', () => {
    const file = path.join(dir, 'small');
    writeFileSync(file, 'small');
    const seen: HashProgress[] = [];
    new DigestCache(null, (p) => seen.push(p)).digest(file);
    expect(seen).toEqual([]);
  });

  it('reports bytes and rate while a slow input is hashed, then once when done', () => {
    // A FIFO fed slowly by another process: hashing takes as long as the writer does, on any machine.
    const fifo = path.join(dir, 'slow');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const chunk = 1 << 20;
    const writer = spawn(
      process.execPath,
      [
        '-e',
        `const fs = require('node:fs'); const fd = fs.openSync(${JSON.stringify(fifo)}, 'w');
         const buf = Buffer.alloc(${chunk}, 7);
         for (let i = 0; i < 4; i++) { fs.writeSync(fd, buf); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250); }
         fs.closeSync(fd);`,
      ],
      { stdio: 'ignore' },
    );
    const seen: HashProgress[] = [];
    const digest = sha256File(fifo, (p) => seen.push({ ...p }));
    writer.kill();
    expect(digest).toBe(
      createHash('sha256')
        .update(Buffer.alloc(4 * chunk, 7))
        .digest('hex'),
    );
    expect(seen.length).toBeGreaterThanOrEqual(2);
    const last = seen.at(-1)!;
    expect(last).toMatchObject({ file: fifo, bytes: 4 * chunk, done: true });
    expect(last.rate).toBeGreaterThan(0);
    expect(seen.slice(0, -1).every((p) => !p.done)).toBe(true);
    const bytes = seen.map((p) => p.bytes);
    expect([...bytes].sort((a, b) => a - b)).toEqual(bytes);
  });
});
