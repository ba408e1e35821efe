import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { briefOf } from '../../src/store/brief.js';
import type { EntryStore, ListedEntry } from '../../src/store/entry-store.js';
import { type EntryRef, Layout } from '../../src/store/layout.js';
import { sha256 } from '../../src/key/digest.js';
import { sealMeta } from '../../src/store/meta-digest.js';
import { openStore } from '../../src/store/open.js';
import { putRequest, sampleInputs, stageRun } from './entry-store-contract.js';

const folders: string[] = [];
afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

function fresh(): { store: EntryStore; layout: Layout } {
  const dir = mkdtempSync(path.join(tmpdir(), 'cachex-summary-'));
  folders.push(dir);
  return { store: openStore(dir), layout: new Layout(dir) };
}

async function put(store: EntryStore, label: string, text = `bytes of ${label}`, replace = false): Promise<EntryRef> {
  const { ref, inputs } = sampleInputs(label);
  const staged = stageRun(store, ref, text);
  const outcome = await store.put(staged, putRequest(inputs, text, replace));
  staged.discard();
  expect(outcome.storage.kind).toBe('stored');
  return ref;
}

/** The summary file that holds `ref` (one per first hex digit of the key). */
const summaryOf = (layout: Layout, ref: EntryRef) => layout.summaryFile('tasks', 'contract', ref.key[0]);
const summaryText = (layout: Layout, ref: EntryRef) =>
  existsSync(summaryOf(layout, ref)) ? readFileSync(summaryOf(layout, ref), 'utf8') : '';
const metaOf = (layout: Layout, ref: EntryRef) => path.join(layout.entryDir(ref), 'meta.yaml');

/**
 * Lists until the summary records every one of `refs` (a meta.yaml written
 * within the clock's granularity of a listing is not recorded yet).
 */
async function summarised(store: EntryStore, layout: Layout, refs: EntryRef[]): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    await store.list();
    if (refs.every((ref) => summaryText(layout, ref).includes(`\n${ref.key}\t`))) return;
    if (Date.now() > deadline) throw new Error('the summary never recorded the entries');
    await sleep(25);
  }
}

/** The listing read afresh: no summary to help (the summaries are put back afterwards). */
async function listedAfresh(store: EntryStore, layout: Layout): Promise<ListedEntry[]> {
  const aside = `${layout.summaries}-aside`;
  if (existsSync(layout.summaries)) renameSync(layout.summaries, aside);
  const listed = await store.list();
  rmSync(layout.summaries, { recursive: true, force: true });
  if (existsSync(aside)) renameSync(aside, layout.summaries);
  return listed;
}

/**
 * Sorted, each with its meta and out folder as fields of their own (a listed entry's getters: the meta is parsed when
 * first read).
 */
const byKey = (entries: ListedEntry[]) =>
  [...entries]
    .sort((a, b) => a.ref.key.localeCompare(b.ref.key))
    .map((e) => ({ ...e, meta: e.meta, outDir: e.outDir }));

/** A fresh store of two entries listed into its summary, their listing read afresh, and the first one's summary file. */
async function twoSummarised(prefix: string) {
  const { store, layout } = fresh();
  const refs = [await put(store, `${prefix}-a`), await put(store, `${prefix}-b`)];
  await summarised(store, layout, refs);
  const truth = byKey(await listedAfresh(store, layout));
  return { store, layout, refs, truth, file: summaryOf(layout, refs[0]) };
}

/** Rewrites meta.yaml in place (same inode) and sets its mtime back to the nanosecond: only its ctime tells. */
function editInPlace(file: string, edit: (text: string) => string): void {
  const before = statSync(file, { bigint: true });
  const text = edit(readFileSync(file, 'utf8'));
  chmodSync(file, 0o644);
  writeFileSync(file, text);
  chmodSync(file, Number(before.mode) & 0o777);
  const sec = before.mtimeNs / 1_000_000_000n;
  const ns = (before.mtimeNs % 1_000_000_000n).toString().padStart(9, '0');
  const touched = spawnSync('touch', ['-m', '-d', `@${sec}.${ns}`, file], { encoding: 'utf8' });
  expect(touched.status, touched.stderr).toBe(0);
  const after = statSync(file, { bigint: true });
  // What a stamp without ctime would see is unchanged: the test is about ctime.
  expect([after.ino, after.size, after.mtimeNs]).toEqual([before.ino, before.size, before.mtimeNs]);
  expect(after.ctimeNs).not.toBe(before.ctimeNs);
}

describe('the listing summary is a cache, never the truth', () => {
  it('a listing through the summary equals the listing read afresh, hits and sizes included', async () => {
    const { store, layout } = fresh();
    const refs = [await put(store, 'sum-a'), await put(store, 'sum-b'), await put(store, 'sum-c', 'x'.repeat(9000))];
    const { inputs } = sampleInputs('sum-a');
    expect((await store.lookup(refs[0], inputs)).status).toBe('hit');
    await summarised(store, layout, refs);
    expect(byKey(await store.list())).toEqual(byKey(await listedAfresh(store, layout)));
    // Hits after the summary was written are counted (usage.log's stamp changed).
    expect((await store.lookup(refs[0], inputs)).status).toBe('hit');
    expect((await store.lookup(refs[0], inputs)).status).toBe('hit');
    const through = byKey(await store.list());
    expect(through.find((e) => e.ref.key === refs[0].key)?.hits).toBe(3);
    expect(through).toEqual(byKey(await listedAfresh(store, layout)));
  });

  it('a meta listed through the summary keeps the field order of meta.yaml, and its outputs are parsed when first read', async () => {
    const { store, layout } = fresh();
    const small = await put(store, 'order-small');
    // 200 outputs: a manifest large enough to be kept apart (an entry of 10 000 outputs is a 1.6 MB record).
    const { ref: big, inputs } = sampleInputs('order-big');
    const staged = stageRun(store, big, 'big');
    for (let i = 0; i < 199; i++) writeFileSync(path.join(staged.outDir, 'sub', `f${i}.txt`), `${i}`);
    expect((await store.put(staged, putRequest(inputs, 'big'))).storage.kind).toBe('stored');
    staged.discard();
    await summarised(store, layout, [small, big]);
    const through = new Map((await store.list()).map((e) => [e.ref.key, e.meta!]));
    const afresh = new Map((await listedAfresh(store, layout)).map((e) => [e.ref.key, e.meta!]));
    for (const [ref, count, apart] of [
      [small, 2, false],
      [big, 201, true],
    ] as const) {
      const meta = through.get(ref.key)!;
      expect(Object.keys(meta)).toEqual(Object.keys(afresh.get(ref.key)!));
      // A large manifest stays a JSON text until asked for; a small one is parsed with the rest.
      expect(typeof Object.getOwnPropertyDescriptor(meta, 'outputs')?.get).toBe(apart ? 'function' : 'undefined');
      expect(meta.outputs.length).toBe(count);
      expect(meta).toEqual(afresh.get(ref.key));
      expect(JSON.stringify(meta)).toBe(JSON.stringify(afresh.get(ref.key)));
    }
  });

  it("a listing through the summary parses each entry's brief, and its meta only when that is read", async () => {
    const { store, layout } = fresh();
    const refs = [await put(store, 'brief-a'), await put(store, 'brief-b'), await put(store, 'brief-c')];
    await summarised(store, layout, refs);
    const afresh = new Map((await listedAfresh(store, layout)).map((e) => [e.ref.key, e]));
    const parse = vi.spyOn(JSON, 'parse');
    try {
      const listed = await store.list();
      // One parse per entry: its brief (the summary's lines are split by hand, not parsed).
      expect(parse).toHaveBeenCalledTimes(refs.length);
      for (const entry of listed) {
        const fresh = afresh.get(entry.ref.key)!;
        expect(entry.brief).toEqual(briefOf(fresh.meta!));
        expect(entry.brief).toEqual(fresh.brief);
      }
      expect(parse).toHaveBeenCalledTimes(refs.length);
      expect(listed[0].meta).toEqual(afresh.get(listed[0].ref.key)!.meta);
      expect(parse).toHaveBeenCalledTimes(refs.length + 1);
    } finally {
      parse.mockRestore();
    }
  });

  // Format 1 kept the manifest inside the meta; format 2 had no brief; format 3 kept the metas in the summary itself.
  it.for([1, 2, 3])('a summary of the earlier format %i is ignored and written again', async (format) => {
    const { store, layout } = fresh();
    const ref = await put(store, `older-${format}`);
    await summarised(store, layout, [ref]);
    const file = summaryOf(layout, ref);
    const text = readFileSync(file, 'utf8');
    const body = text.slice(0, text.lastIndexOf('digest ')).replace(/^cachex-summary 4 /, `cachex-summary ${format} `);
    writeFileSync(file, `${body}digest ${sha256(body)}\n`);
    expect(byKey(await store.list())).toEqual(byKey(await listedAfresh(store, layout)));
    expect(readFileSync(file, 'utf8')).toMatch(/^cachex-summary 4 /);
  });

  it('a metas file that is missing or does not match the summary is not used: the meta is read from meta.yaml', async () => {
    const { store, layout, refs, truth, file } = await twoSummarised('metas');
    const metas = file.replace(/\.txt$/, '.metas');
    // The summary keeps the briefs; the checked metas are beside it.
    expect(readFileSync(metas, 'utf8')).toContain(`${refs[0].key}\t`);
    expect(readFileSync(file, 'utf8')).not.toContain('"keyInputs"');
    rmSync(metas);
    expect(byKey(await store.list())).toEqual(truth);
    // The summary that named it is dropped, so the next listing writes both again.
    expect(existsSync(file)).toBe(false);
    await summarised(store, layout, refs);
    expect(existsSync(metas)).toBe(true);
    // Altered with every stamp in the summary intact: only the digest the summary recorded tells.
    const text = readFileSync(metas, 'utf8');
    expect(text).toContain('"exitCode":0');
    writeFileSync(metas, text.replaceAll('"exitCode":0', '"exitCode":9'));
    const listed = await store.list();
    expect(listed.map((e) => e.meta?.exitCode)).toEqual([0, 0]);
    expect(byKey(listed)).toEqual(truth);
    expect(existsSync(file)).toBe(false);
  });

  it('a meta.yaml altered in place with its mtime set back is read again and shown as damaged', async () => {
    const { store, layout } = fresh();
    const ref = await put(store, 'sum-tamper');
    await summarised(store, layout, [ref]);
    editInPlace(metaOf(layout, ref), (text) => text.replace('exitCode: 0', 'exitCode: 7'));
    const [entry] = await store.list({ keyPrefix: ref.key.slice(0, 8) });
    expect(entry.meta).toBeNull();
    expect(entry.metaProblem).toMatch(/digest mismatch/);
    // Also a listing of the whole task (which reads the summary) does not show the summarised value.
    const [all] = await store.list();
    expect([all.meta, all.metaProblem]).toEqual([null, entry.metaProblem]);
  });

  it('a valid edit of meta.yaml (resealed, mtime set back) shows the edited value, not the summarised one', async () => {
    const { store, layout } = fresh();
    const ref = await put(store, 'sum-reseal');
    await summarised(store, layout, [ref]);
    editInPlace(metaOf(layout, ref), (text) =>
      sealMeta(text.replace(/metaDigest: .*\n$/, '').replace('exitCode: 0', 'exitCode: 7')),
    );
    const [entry] = await store.list();
    expect(entry.meta?.exitCode).toBe(7);
  });

  it('a damaged or truncated summary is ignored as a whole, and written whole again', async () => {
    const { store, layout, refs, truth, file } = await twoSummarised('sum-dmg');
    const text = readFileSync(file, 'utf8');
    // A changed value with the stamp intact: only the file's digest tells.
    expect(text).toContain('"exitCode":0');
    writeFileSync(file, text.replace('"exitCode":0', '"exitCode":9'));
    expect(byKey(await store.list())).toEqual(truth);
    truncateSync(file, Math.floor(text.length / 2));
    expect(byKey(await store.list())).toEqual(truth);
    writeFileSync(file, 'not a summary at all\n');
    expect(byKey(await store.list())).toEqual(truth);
    await summarised(store, layout, refs);
    expect(readFileSync(file, 'utf8')).not.toContain('"exitCode":9');
  });

  it('an entry removed behind its back is not listed, and leaves the summary', async () => {
    const { store, layout } = fresh();
    const refs = [await put(store, 'sum-gone-a'), await put(store, 'sum-gone-b')];
    await summarised(store, layout, refs);
    rmSync(layout.entryDir(refs[0]), { recursive: true, force: true });
    expect((await store.list()).map((e) => e.ref.key)).toEqual([refs[1].key]);
    expect(summaryText(layout, refs[0])).not.toContain(refs[0].key);
    rmSync(layout.entryDir(refs[1]), { recursive: true, force: true });
    expect(await store.list()).toEqual([]);
  });

  it('prune removes the summaries of tasks left without entries (a dry run removes none)', async () => {
    const { store, layout } = fresh();
    const ref = await put(store, 'sum-prune-all');
    await summarised(store, layout, [ref]);
    const other = layout.summaryFile('tasks', 'other', '0');
    mkdirSync(path.dirname(other), { recursive: true });
    writeFileSync(other, 'a summary of a task with no entries folder\n');
    const folder = layout.summaryFolder('tasks', 'contract');
    await store.prune({ task: 'contract' }, { dryRun: true });
    expect([existsSync(folder), existsSync(other)]).toEqual([true, true]);
    const pruned = await store.prune({ task: 'contract' }, { dryRun: false });
    expect(pruned.removed.map((r) => r.ref.key)).toEqual([ref.key]);
    expect([existsSync(folder), existsSync(path.dirname(other))]).toEqual([false, false]);
  });

  it('an entry replaced (--force) is listed as the new entry', async () => {
    const { store, layout } = fresh();
    const ref = await put(store, 'sum-replace', 'short');
    await summarised(store, layout, [ref]);
    const [before] = await store.list();
    await sleep(5); // a distinct `created`
    await put(store, 'sum-replace', 'a much longer output '.repeat(400), true);
    const [after] = await store.list();
    expect(after.created?.getTime()).not.toBe(before.created?.getTime());
    expect(after).toEqual((await listedAfresh(store, layout))[0]);
  });

  it('prune still finds an output of the wrong size behind a summarised entry', async () => {
    const { store, layout } = fresh();
    const ref = await put(store, 'sum-prune');
    await summarised(store, layout, [ref]);
    const file = path.join(store.outDir(ref)!, 'sub', 'cloud.txt');
    chmodSync(file, 0o644);
    truncateSync(file, 2);
    const pruned = await store.prune({}, { dryRun: false });
    expect(pruned.removed.map((r) => [r.ref.key, r.reasons])).toEqual([[ref.key, ['corrupt']]]);
    expect(await store.list()).toEqual([]);
  });

  it('a temporary file a crashed writer left is removed by a later write; a fresh one is left', async () => {
    const { store, layout } = fresh();
    const first = await put(store, 'sum-temp-a');
    await summarised(store, layout, [first]);
    const stale = `${summaryOf(layout, first)}.tmp-4242-0badf00d`;
    const live = `${summaryOf(layout, first)}.tmp-4343-0badf00e`;
    writeFileSync(stale, 'half a summ');
    writeFileSync(live, 'half a summ');
    const old = new Date(Date.now() - 10 * 60_000);
    utimesSync(stale, old, old);
    // A second entry in the same summary file makes the next listing rewrite it.
    let second = await put(store, 'sum-temp-b');
    for (let i = 0; second.key[0] !== first.key[0]; i++) second = await put(store, `sum-temp-${i}`);
    await summarised(store, layout, [first, second]);
    expect([existsSync(stale), existsSync(live)]).toEqual([false, true]);
  });
});
