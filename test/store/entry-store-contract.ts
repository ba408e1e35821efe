import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { sha256 } from '../../src/key/digest.js';
import { KEY_FORMAT, type KeyInputs, keyOfInputs } from '../../src/key/inputs.js';
import type { EntryStore, PutRequest, StagedRun } from '../../src/store/entry-store.js';
import type { EntryRef } from '../../src/store/layout.js';

/**
 * What every EntryStore backend must do, whatever it keeps its entries in
 * (after wireit's registerCommonCacheTests). A backend's test file calls
 * this with a factory for a fresh, empty store, and a way to damage one
 * stored file of an entry (the backend knows where its bytes are).
 */
export interface ContractHooks {
  fresh(): EntryStore;
  /** Flips one byte of an entry's stored output file `rel`. */
  damageOutput(store: EntryStore, ref: EntryRef, rel: string): void;
}

let counter = 0;

export function sampleInputs(label = `t${counter++}`): { ref: EntryRef; inputs: KeyInputs } {
  const inputs: KeyInputs = {
    format: KEY_FORMAT,
    module: 'tasks',
    task: 'contract',
    kind: 'command',
    version: 1,
    command: ['convert', '{file}'],
    params: { label },
    env: {},
  };
  return { ref: { module: 'tasks', task: 'contract', key: keyOfInputs(inputs) }, inputs };
}

/** Stages one run: an output file, the two logs, as a runner would write them. */
export function stageRun(store: EntryStore, ref: EntryRef, text: string): StagedRun {
  const staged = store.stage(ref);
  mkdirSync(path.join(staged.outDir, 'sub'), { recursive: true });
  writeFileSync(path.join(staged.outDir, 'sub', 'cloud.txt'), text);
  writeFileSync(staged.stdoutPath, `out ${text}\n`);
  writeFileSync(staged.stderrPath, '');
  return staged;
}

export function putRequest(inputs: KeyInputs, text: string, replace = false, value?: unknown): PutRequest {
  const stdout = Buffer.from(`out ${text}\n`);
  return {
    keyInputs: inputs,
    kind: inputs.kind,
    taskVersion: 1,
    params: { label: { value: inputs.params.label } },
    created: new Date().toISOString(),
    durationMs: 5,
    exitCode: 0,
    logs: { stdout: { size: stdout.length, digest: sha256(stdout) }, stderr: { size: 0, digest: sha256('') } },
    result: value === undefined ? null : { kind: 'serialised', bytes: serialize(value), compress: true },
    replace,
  };
}

export function registerEntryStoreContract(name: string, hooks: ContractHooks): void {
  describe(`EntryStore contract: ${name}`, () => {
    it('a put entry is a hit with the same outputs, logs and result, and is listed and opened', async () => {
      const store = hooks.fresh();
      const { ref, inputs } = sampleInputs();
      expect((await store.lookup(ref, inputs)).status).toBe('miss');
      const staged = stageRun(store, ref, 'alpha');
      const put = await store.put(staged, putRequest(inputs, 'alpha', false, { points: 3 }));
      staged.discard();
      expect(put.storage.kind).toBe('stored');
      const found = await store.lookup(ref, inputs);
      if (found.status !== 'hit') throw new Error(`expected a hit, got ${JSON.stringify(found)}`);
      expect(found.source).toBe('local');
      expect(found.entry.stdout.toString()).toBe('out alpha\n');
      expect(readFileSync(path.join(found.entry.outDir(), 'sub', 'cloud.txt'), 'utf8')).toBe('alpha');
      expect(found.entry.result).toEqual(serialize({ points: 3 }));
      expect(found.entry.meta().keyInputs).toEqual(inputs);
      const listed = await store.list({ task: 'contract' });
      expect(listed.map((e) => e.ref.key)).toContain(ref.key);
      expect(listed.find((e) => e.ref.key === ref.key)?.hits).toBe(1);
      expect((await store.open(ref))?.meta().key).toBe(ref.key);
      expect(store.identity(ref)).not.toBeNull();
    });

    it('list({ newest }) gives only the entries written last, newest first', async () => {
      const store = hooks.fresh();
      const keys: string[] = [];
      for (const text of ['one', 'two', 'three']) {
        const { ref, inputs } = sampleInputs();
        const staged = stageRun(store, ref, text);
        await store.put(staged, putRequest(inputs, text));
        staged.discard();
        keys.push(ref.key);
        // File system clocks tick coarsely (a few ms): keep the three writes apart.
        await new Promise((r) => setTimeout(r, 30));
      }
      expect((await store.list({ task: 'contract', newest: 2 })).map((e) => e.ref.key)).toEqual([keys[2], keys[1]]);
      expect(await store.list({ task: 'contract', newest: 5 })).toHaveLength(3);
    });

    it('list shows what is stored now: hits, a replace and a remove since an earlier listing', async () => {
      const store = hooks.fresh();
      const a = sampleInputs();
      const b = sampleInputs();
      for (const [{ ref, inputs }, text] of [
        [a, 'first'],
        [b, 'other'],
      ] as const) {
        const staged = stageRun(store, ref, text);
        await store.put(staged, putRequest(inputs, text));
        staged.discard();
      }
      // Listings a while apart, so whatever a backend remembers between them has settled.
      const deadline = Date.now() + 300;
      while (Date.now() < deadline) {
        await store.list({ task: 'contract' });
        await new Promise((r) => setTimeout(r, 50));
      }
      const [before] = (await store.list({ task: 'contract' })).filter((e) => e.ref.key === a.ref.key);
      expect((await store.lookup(a.ref, a.inputs)).status).toBe('hit');
      const replacement = putRequest(a.inputs, 'replaced, and longer than before', true);
      replacement.created = new Date(Date.parse(before.created!.toISOString()) + 1000).toISOString();
      const staged = stageRun(store, a.ref, 'replaced, and longer than before');
      expect((await store.put(staged, replacement)).storage.kind).toBe('stored');
      staged.discard();
      expect(await store.remove(b.ref, { why: 'pruned', ifBusy: 'skip' })).toBe('removed');
      const listed = await store.list({ task: 'contract' });
      expect(listed.map((e) => e.ref.key)).toEqual([a.ref.key]);
      expect(listed[0].created?.toISOString()).toBe(replacement.created);
      expect(listed[0].hits).toBe(0); // the replaced entry's usage went with it
      expect(listed[0].diskBytes).toBeGreaterThan(0);
    });

    it('an entry whose stored inputs differ from the expected ones is not a hit', async () => {
      const store = hooks.fresh();
      const { ref, inputs } = sampleInputs();
      const staged = stageRun(store, ref, 'beta');
      await store.put(staged, putRequest(inputs, 'beta'));
      staged.discard();
      const other = { ...inputs, version: 2 };
      expect((await store.lookup(ref, other)).status).toBe('miss');
    });

    it('a damaged output makes the entry a miss that names the file, and repair sets it aside', async () => {
      const store = hooks.fresh();
      const { ref, inputs } = sampleInputs();
      const staged = stageRun(store, ref, 'gamma');
      await store.put(staged, putRequest(inputs, 'gamma'));
      staged.discard();
      hooks.damageOutput(store, ref, 'sub/cloud.txt');
      const found = await store.lookup(ref, inputs);
      expect(found.status).toBe('miss');
      if (found.status === 'miss') expect(found.corrupt?.file).toBe('out/sub/cloud.txt');
      await store.lookup(ref, inputs, { repair: true });
      expect(await store.open(ref)).toBeNull();
      expect((await store.lookup(ref, inputs)).status).toBe('miss');
    });

    it('two puts of one key: the first writer wins, the second is told so; --force-style replace wins', async () => {
      const store = hooks.fresh();
      const { ref, inputs } = sampleInputs();
      const a = stageRun(store, ref, 'first');
      const b = stageRun(store, ref, 'second');
      const [pa, pb] = await Promise.all([
        store.put(a, putRequest(inputs, 'first')),
        store.put(b, putRequest(inputs, 'second')),
      ]);
      a.discard();
      b.discard();
      expect([pa.storage.kind, pb.storage.kind].sort()).toEqual(['kept-existing', 'stored']);
      const winner = pa.storage.kind === 'stored' ? 'first' : 'second';
      const hit = await store.lookup(ref, inputs);
      if (hit.status !== 'hit') throw new Error('expected a hit');
      expect(readFileSync(path.join(hit.entry.outDir(), 'sub', 'cloud.txt'), 'utf8')).toBe(winner);
      const c = stageRun(store, ref, 'third');
      expect((await store.put(c, putRequest(inputs, 'third', true))).storage.kind).toBe('stored');
      c.discard();
      const after = await store.lookup(ref, inputs);
      if (after.status !== 'hit') throw new Error('expected a hit');
      expect(readFileSync(path.join(after.entry.outDir(), 'sub', 'cloud.txt'), 'utf8')).toBe('third');
    });

    it('an entry removed while readers look it up is a hit or a miss, never corrupt', async () => {
      const store = hooks.fresh();
      const { ref, inputs } = sampleInputs();
      const seen = new Set<string>();
      for (let round = 0; round < 20; round++) {
        const staged = stageRun(store, ref, `r${round}`);
        await store.put(staged, putRequest(inputs, `r${round}`));
        staged.discard();
        const readers = Array.from({ length: 4 }, () => store.lookup(ref, inputs));
        const removal = store.remove(ref, { why: 'pruned', ifBusy: 'wait' });
        for (const found of await Promise.all(readers)) {
          seen.add(found.status);
          if (found.status === 'miss') expect(found.corrupt).toBeNull();
        }
        expect(['removed', 'gone']).toContain(await removal);
      }
      expect((await store.lookup(ref, inputs)).status).toBe('miss');
      expect(seen.has('hit') || seen.has('miss')).toBe(true);
    });

    it('a result that cannot be serialised is not stored, and says why', async () => {
      const store = hooks.fresh();
      const { ref, inputs } = sampleInputs();
      const staged = stageRun(store, ref, 'delta');
      const request: PutRequest = {
        ...putRequest(inputs, 'delta'),
        result: { kind: 'live', value: { fn: () => 1 }, streamThreshold: 1 << 30 },
      };
      const put = await store.put(staged, request);
      staged.discard();
      expect(put.storage).toMatchObject({ kind: 'not-stored', reason: { kind: 'unserialisable' } });
      expect(await store.open(ref)).toBeNull();
    });

    it('remove with ifBusy skip leaves an entry whose key a run holds', async () => {
      const store = hooks.fresh();
      const { ref, inputs } = sampleInputs();
      const staged = stageRun(store, ref, 'eps');
      await store.put(staged, putRequest(inputs, 'eps'));
      staged.discard();
      const lock = await store.lock(ref);
      try {
        expect(await store.remove(ref, { why: 'pruned', ifBusy: 'skip' })).toBe('busy');
      } finally {
        await lock.release();
      }
      expect(await store.remove(ref, { why: 'pruned', ifBusy: 'skip' })).toBe('removed');
      expect(await store.open(ref)).toBeNull();
    });
  });
}

/** For backends that keep files on disk: makes a read-only stored file writable, then flips a byte. */
export function flipByte(file: string): void {
  chmodSync(file, 0o644);
  const bytes = readFileSync(file);
  bytes[0] ^= 0x01;
  writeFileSync(file, bytes);
}
