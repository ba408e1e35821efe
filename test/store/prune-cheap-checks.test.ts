import { mkdtempSync, rmSync, truncateSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.js';
import { flipByte, putRequest, sampleInputs, stageRun } from './entry-store-contract.js';

const folders: string[] = [];
afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

async function storedEntry() {
  const dir = mkdtempSync(path.join(tmpdir(), 'cachex-prune-cheap-'));
  folders.push(dir);
  const store = openStore(dir);
  const { ref, inputs } = sampleInputs();
  const staged = stageRun(store, ref, 'some output bytes');
  await store.put(staged, putRequest(inputs, 'some output bytes'));
  staged.discard();
  return { store, ref, file: path.join(store.outDir(ref)!, 'sub', 'cloud.txt') };
}

describe('prune chooses with the cheap checks and leaves re-hashing to verify', () => {
  it('an output with a flipped byte (same size) is left to verify, which finds it', async () => {
    const { store, ref, file } = await storedEntry();
    flipByte(file);
    const pruned = await store.prune({}, { dryRun: false });
    expect(pruned.removed).toEqual([]);
    const verified = await store.verify({});
    expect(verified.corrupt.map((c) => c.ref.key)).toEqual([ref.key]);
  });

  it('an output of the wrong size is removed by prune without reading it', async () => {
    const { store, ref, file } = await storedEntry();
    chmodSync(file, 0o644);
    truncateSync(file, 3);
    const pruned = await store.prune({}, { dryRun: false });
    expect(pruned.removed.map((r) => [r.ref.key, r.detail])).toEqual([
      [ref.key, 'out/sub/cloud.txt: output size 3 differs from the recorded 17'],
    ]);
    expect(await store.open(ref)).toBeNull();
  });
});
