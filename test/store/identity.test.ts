/**
 * An entry's identity (EntryStore.identity) and the cheap comparison a memory
 * hit makes on every call (hasIdentity) agree: true for the entry as it is,
 * false once it is replaced or removed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cache } from '../../src/index.js';
import { openStore } from '../../src/store/open.js';

let dir: string;
let data: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cachex-identity-'));
  data = path.join(dir, 'data');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('identity and hasIdentity', () => {
  it('agree for the stored entry, and both change when it is replaced or removed', async () => {
    let calls = 0;
    const f = cache(
      async function identified({ n }: { n: number }) {
        return n + ++calls;
      },
      { dataFolder: data, memory: false },
    );
    await f({ n: 1 });
    const store = openStore(data);
    const ref = { module: f.module, task: f.taskName, key: f.key({ n: 1 }) };
    const first = store.identity(ref)!;
    expect(first).toMatch(/^\d+ \d+ \d+ [\d.]+$/);
    expect(store.hasIdentity(ref, first)).toBe(true);
    expect(store.hasIdentity({ ...ref }, first)).toBe(true);
    await f.make({ force: true, n: 1 });
    const second = store.identity(ref)!;
    expect(second).not.toBe(first);
    expect(store.hasIdentity(ref, first)).toBe(false);
    expect(store.hasIdentity(ref, second)).toBe(true);
    await f.clear();
    expect(store.identity(ref)).toBeNull();
    expect(store.hasIdentity(ref, second)).toBe(false);
  });
});
