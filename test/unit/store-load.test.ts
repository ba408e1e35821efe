/**
 * store/load.ts: an entry is returned only when every part it would return
 * checks out (meta.yaml and its self-digest, the key inputs, both logs, the
 * result, the outputs); anything else is a miss or corrupt, never half-read.
 * Entries are written with the real staging code, then damaged one part at a
 * time. Also the meta.yaml round trip of a real entry's meta, read back by the
 * fast subset reader and by the `yaml` library.
 */
import v8 from 'node:v8';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/key/digest.js';
import { KEY_FORMAT, keyOfInputs, type KeyInputs } from '../../src/key/inputs.js';
import { ENTRY_FILES, Layout, type EntryRef } from '../../src/store/layout.js';
import { loadEntry } from '../../src/store/local/load.js';
import { formatMeta, parseMeta, type EntryMeta } from '../../src/store/meta.js';
import { sealMeta } from '../../src/store/meta-digest.js';
import { fromYaml } from '../../src/store/meta-yaml.js';
import { encodeResult } from '../../src/store/local/result.js';
import { Staging } from '../../src/store/local/staging.js';

let data: string;
let layout: Layout;
beforeEach(() => {
  data = mkdtempSync(path.join(tmpdir(), 'cachex-load-'));
  layout = new Layout(data);
});
afterEach(() => rmSync(data, { recursive: true, force: true }));

const inputs: KeyInputs = {
  format: KEY_FORMAT,
  module: 'tasks',
  task: 'convert',
  kind: 'command',
  version: 2,
  command: ['conv', '{file}', '-o', '{out}'],
  executable: { path: '/opt/conv', digest: 'e'.repeat(64) },
  params: { file: { digest: 'd'.repeat(64) }, quality: 'high' },
  env: { TOKEN: sha256('s3cret'), UNSET: null },
};
const KEY = keyOfInputs(inputs);
const ref: EntryRef = { module: 'tasks', task: 'convert', key: KEY };

/** Stores one complete entry the way a run does: stage, seal outputs, write meta.yaml last, rename. */
async function store(
  value: unknown = { points: 3, tags: new Set(['a']) },
  withOutputs = true,
): Promise<{ dir: string; meta: EntryMeta }> {
  const staging = Staging.create(layout, ref);
  staging.writeFile(ENTRY_FILES.stdout, 'converted a.pcd\n');
  staging.writeFile(ENTRY_FILES.stderr, 'note: ünïcødé\n');
  if (withOutputs) {
    mkdirSync(path.join(staging.outDir, 'sub'));
    writeFileSync(path.join(staging.outDir, 'cloud.bin'), Buffer.alloc(5000, 1));
    writeFileSync(path.join(staging.outDir, 'sub', 'meta.json'), '{"a":1}');
  }
  const sealed = await staging.seal();
  const encoded = encodeResult(v8.serialize(value));
  staging.writeFile(encoded.record.file, encoded.bytes);
  const blob = (text: string) => ({ size: Buffer.byteLength(text), digest: sha256(text) });
  // The manifest sealing streamed to the staging folder, one `  - {json}` line per output.
  const outputs = readFileSync(sealed.manifest, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line.replace(/^ {2}- /, '')));
  expect(outputs).toHaveLength(sealed.count);
  const meta: EntryMeta = {
    format: 1,
    cachex: '0.1.0',
    task: ref.task,
    module: ref.module,
    key: KEY,
    kind: 'command',
    taskVersion: 2,
    params: { file: { value: '/x/a b.pcd' }, quality: { value: 'high' }, verbose: { value: true, ignored: true } },
    keyInputs: inputs,
    command: ['conv', '/x/a b.pcd', '-o', '{out}'],
    created: '2025-01-02T03:04:05.678Z',
    durationMs: 12,
    exitCode: 0,
    outputs,
    result: encoded.record,
    logs: { stdout: blob('converted a.pcd\n'), stderr: blob('note: ünïcødé\n') },
  };
  const { outputs: _, ...fields } = meta;
  expect(await staging.commit(fields, sealed, false)).toBe('stored');
  // Streamed or not, meta.yaml is the text formatMeta gives (older stores' readers, golden keys).
  expect(readFileSync(file(ENTRY_FILES.meta), 'utf8')).toBe(sealMeta(await formatMeta(meta)));
  return { dir: layout.entryDir(ref), meta };
}

const file = (...parts: string[]) => path.join(layout.entryDir(ref), ...parts);
const load = (expected?: KeyInputs) => loadEntry(layout, ref, expected, { rehashOutputs: true });

/** Rewrites meta.yaml with `edit` applied and a valid self-digest: only the check under test can catch it. */
async function resealed(edit: (meta: EntryMeta) => void): Promise<void> {
  const meta = await parseMeta(readFileSync(file(ENTRY_FILES.meta), 'utf8'));
  edit(meta);
  writeFileSync(file(ENTRY_FILES.meta), sealMeta(await formatMeta(meta)));
}

async function corrupt(fileName: string, reason: RegExp): Promise<void> {
  const found = await load(inputs);
  expect(found.status).toBe('corrupt');
  if (found.status !== 'corrupt') return;
  expect(found.file).toBe(fileName);
  expect(found.reason).toMatch(reason);
}

describe('loading an entry', () => {
  it("an entry without outputs: meta.yaml is formatMeta's text (`outputs: []`) and loads as a hit", async () => {
    // store() checks the streamed meta.yaml against sealMeta(formatMeta(meta)) byte for byte.
    const { meta } = await store(undefined, false);
    expect(meta.outputs).toEqual([]);
    const found = await load(inputs);
    expect(found.status).toBe('hit');
  });

  it('returns a complete entry: meta, both logs and the result', async () => {
    const { meta } = await store();
    const found = await load(inputs);
    expect(found.status).toBe('hit');
    if (found.status !== 'hit') return;
    expect(found.entry.meta).toEqual({ ...meta, metaDigest: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(found.entry.stdout.toString()).toBe('converted a.pcd\n');
    expect(found.entry.stderr.toString()).toBe('note: ünïcødé\n');
    expect(v8.deserialize(found.entry.result!)).toEqual({ points: 3, tags: new Set(['a']) });
  });

  it('is a miss when there is no entry folder', async () => {
    expect(await load()).toEqual({ status: 'miss' });
  });

  it('a moved executable (same digest, other path) still matches the expected key inputs', async () => {
    await store();
    const moved = { ...inputs, executable: { path: '/usr/local/bin/conv', digest: 'e'.repeat(64) } };
    expect((await load(moved)).status).toBe('hit');
  });
});

describe('meta.yaml checks', () => {
  beforeEach(async () => {
    await store();
  });

  it('a folder without meta.yaml is corrupt', async () => {
    unlinkSync(file(ENTRY_FILES.meta));
    await corrupt('meta.yaml', /meta\.yaml is missing/);
  });

  it('one changed character is caught by the self-digest', async () => {
    const text = readFileSync(file(ENTRY_FILES.meta), 'utf8');
    writeFileSync(file(ENTRY_FILES.meta), text.replace('exitCode: 0', 'exitCode: 1'));
    await corrupt('meta.yaml', /digest mismatch \(truncated or altered\)/);
  });

  it('a truncated meta.yaml is caught by the self-digest', async () => {
    truncateSync(file(ENTRY_FILES.meta), 100);
    await corrupt('meta.yaml', /digest mismatch/);
  });

  it('text that is not YAML is corrupt even with a valid digest', async () => {
    writeFileSync(file(ENTRY_FILES.meta), sealMeta('a: [1, 2\n  - }{'));
    await corrupt('meta.yaml', /cannot be parsed/);
  });

  it.each([
    ['another key', (m: EntryMeta) => void (m.key = 'f'.repeat(64))],
    ['another format', (m: EntryMeta) => void (m.format = 2)],
    ['no key inputs', (m: EntryMeta) => void delete (m as Partial<EntryMeta>).keyInputs],
  ])('%s: incomplete or from another format', async (_what, edit) => {
    await resealed(edit);
    await corrupt('meta.yaml', /incomplete or from another format/);
  });

  it('key inputs that do not hash to the entry key are corrupt', async () => {
    await resealed((m) => void (m.keyInputs.params.quality = 'low'));
    await corrupt('meta.yaml', /key inputs do not hash to the entry key/);
  });

  it('key inputs other than the run expects are a key collision', async () => {
    const found = await load({ ...inputs, params: { ...inputs.params, quality: 'low' } });
    expect(found).toMatchObject({ status: 'corrupt', reason: expect.stringMatching(/key collision/) });
  });
});

describe('log, result and output checks', () => {
  beforeEach(async () => {
    await store();
  });

  it.each([
    ['a missing stdout.log', () => unlinkSync(file('stdout.log')), 'stdout.log', /stdout\.log is missing/],
    ['a grown stderr.log', () => writeFileSync(file('stderr.log'), 'more\n', { flag: 'a' }), 'stderr.log', /size/],
    [
      'a same-size edit of stdout.log',
      () => writeFileSync(file('stdout.log'), 'CONVERTED a.pcd\n'),
      'stdout.log',
      /digest mismatch/,
    ],
    ['a missing result', () => unlinkSync(file('result.v8')), 'result.v8', /result file is missing/],
    ['a truncated result', () => truncateSync(file('result.v8'), 3), 'result.v8', /truncated/],
    ['a missing output', () => unlinkSync(file('out', 'cloud.bin')), 'out/cloud.bin', /missing output/],
    ['a truncated output', () => truncateSync(file('out', 'cloud.bin'), 10), 'out/cloud.bin', /truncated or grown/],
    [
      'a same-size edit of an output',
      () => {
        chmodSync(file('out', 'sub', 'meta.json'), 0o644);
        writeFileSync(file('out', 'sub', 'meta.json'), '{"a":2}');
      },
      'out/sub/meta.json',
      /output digest mismatch/,
    ],
    [
      'an extra output file',
      () => {
        chmodSync(file('out'), 0o755);
        writeFileSync(file('out', 'planted'), 'x');
      },
      'out/planted',
      /unexpected file not in the manifest/,
    ],
    [
      'a missing out folder (entry without outputs)',
      async () => {
        await resealed((m) => void (m.outputs = []));
        rmSync(file('out'), { recursive: true, force: true });
      },
      'out',
      /output folder missing/,
    ],
  ] as [string, () => void | Promise<void>, string, RegExp][])(
    '%s is corrupt',
    async (_what, damage, fileName, reason) => {
      await damage();
      await corrupt(fileName, reason);
    },
  );
});

describe('meta.yaml round trip', () => {
  it("a stored entry's meta reads back equal with the subset reader and with the yaml library", async () => {
    const { meta } = await store();
    const text = readFileSync(file(ENTRY_FILES.meta), 'utf8');
    const { metaDigest, ...fromLibrary } = parse(text);
    expect(metaDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(fromLibrary).toEqual(meta);
    const { metaDigest: _, ...fromSubset } = fromYaml(text) as Record<string, unknown>;
    expect(fromSubset).toEqual(meta);
    expect(await parseMeta(await formatMeta(meta))).toEqual(meta);
  });

  it('strings that look like other YAML types stay strings in both readers', async () => {
    const tricky = ['true', 'null', '1e3', '0x10', '~', '- x', 'a: b', '#c', "'q'", ' lead', 'trail ', '', '\t', '😀'];
    const value = { format: 1, params: Object.fromEntries(tricky.map((s, i) => [`p${i}`, { value: s }])) };
    const text = await formatMeta(value as unknown as EntryMeta);
    expect(parse(text)).toEqual(value);
    expect(fromYaml(text)).toEqual(value);
  });
});
