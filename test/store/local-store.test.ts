import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { openStore } from '../../src/store/open.js';
import { flipByte, registerEntryStoreContract } from './entry-store-contract.js';

const folders: string[] = [];
afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

registerEntryStoreContract('LocalStore', {
  fresh() {
    const dir = mkdtempSync(path.join(tmpdir(), 'cachex-contract-'));
    folders.push(dir);
    return openStore(dir);
  },
  damageOutput(store, ref, rel) {
    const outDir = store.outDir(ref);
    if (!outDir) throw new Error('no stored entry to damage');
    flipByte(path.join(outDir, rel));
  },
});
