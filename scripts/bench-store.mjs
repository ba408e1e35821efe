#!/usr/bin/env node
// Benchmark: large stores (issue 14, items 2 and 6). Builds stores of 1 000 and 10 000 entries
// (BENCH_SCALE multiplies both) and times, in one run, `cachex ls`, `cachex ls --json` and
// `cachex prune --max-size <half the store> --dry-run` on each, BENCH_RUNS times (default 3),
// median reported, with the 10k / 1k ratio (linear growth is 10×).
//
// The stores are built fast but honestly: one entry is stored by the library (a real miss),
// then each further entry is the same entry for another argument set — its own params, key
// inputs, key, result and sealed meta.yaml, as the library would have written them (no
// fsyncs, which is what makes it fast). `cachex verify --json` of the small store must
// report every entry checked and none corrupt, or the bench stops. BENCH_KEEP=1 keeps the stores.
// Figures only: nothing asserts on timing.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { serialize } from 'node:v8';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const CLI = process.env.CACHEX_BIN ?? join(ROOT, 'bin', 'cachex.js');
const DIST = join(dirname(dirname(CLI)), 'dist');
const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const SIZES = [1000, 10_000].map((n) => Math.max(10, Math.round(n * SCALE)));
const load = (rel) => import(pathToFileURL(join(DIST, rel)).href);
const { cache } = await load('index.js');
const { formatMeta, parseMeta } = await load('store/meta.js');
const { sealMeta } = await load('store/meta-digest.js');
const { keyOfInputs } = await load('key/inputs.js');
const { encodeResult } = await load('store/local/result.js');

const W = mkdtempSync(join(tmpdir(), 'cachex-bench-store-'));
const env = { ...process.env, CI: 'true', NO_COLOR: '1' };
delete env.NODE_EXTRA_CA_CERTS;

/** A store of `count` entries of one library task `tile({ n, resolution })`. */
async function buildStore(count) {
  const data = join(W, `data-${count}`);
  const tile = cache(async ({ n, resolution }) => ({ n, resolution, points: n * 7 }), {
    name: 'tile',
    module: 'bench',
    dataFolder: data,
    memory: false,
  });
  await tile({ n: 0, resolution: 0.5 });
  const first = tile.outDir({ n: 0, resolution: 0.5 });
  const entryDir = dirname(first);
  const taskDir = dirname(entryDir);
  const template = await parseMeta(readFileSync(join(entryDir, 'meta.yaml'), 'utf8'));
  const start = Date.now() - count * 60_000; // one entry a minute, oldest first: prune's LRU has an order
  for (let n = 1; n < count; n++) {
    const meta = structuredClone(template);
    meta.params.n = { value: n };
    meta.keyInputs.params.n = n;
    meta.key = keyOfInputs(meta.keyInputs);
    meta.created = new Date(start + n * 60_000).toISOString();
    const encoded = encodeResult(serialize({ n, resolution: 0.5, points: n * 7 }));
    meta.result = encoded.record;
    const dir = join(taskDir, meta.key);
    mkdirSync(join(dir, 'out'), { recursive: true });
    writeFileSync(join(dir, encoded.record.file), encoded.bytes);
    writeFileSync(join(dir, 'stdout.log'), '');
    writeFileSync(join(dir, 'stderr.log'), '');
    writeFileSync(join(dir, 'verified.json'), '{}');
    writeFileSync(join(dir, 'meta.yaml'), sealMeta(await formatMeta(meta)));
  }
  if (readdirSync(taskDir).length !== count) throw new Error(`expected ${count} entries in ${taskDir}`);
  return data;
}

function run(data, args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: W,
    env: { ...env, DATA_FOLDER: data },
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0 && !(args[0] === 'verify' && r.status === 4)) {
    console.error(`bench: cachex ${args.join(' ')} failed (exit ${r.status ?? r.signal})\n${r.stderr}`);
    process.exit(1);
  }
  return { ms, stdout: r.stdout, status: r.status };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
function timed(data, args) {
  const samples = [];
  for (let i = 0; i < RUNS; i++) samples.push(run(data, args).ms);
  return median(samples);
}

console.log(`cachex bench-store ${new Date().toISOString()}`);
console.log(`node ${process.version}, ${cpus().length} CPU(s) ${cpus()[0]?.model ?? ''}; NODE_EXTRA_CA_CERTS unset`);
console.log(`stores of ${SIZES.join(' and ')} entries under ${W}; ${RUNS} runs each, median\n`);

const results = [];
for (const count of SIZES) {
  const t0 = Date.now();
  const data = await buildStore(count);
  const built = Date.now() - t0;
  if (count === SIZES[0]) {
    const v = JSON.parse(run(data, ['verify', '--json']).stdout);
    if (v.checked !== count || v.corrupt.length) {
      console.error(`bench: the built store is not valid: ${v.checked} checked, ${v.corrupt.length} corrupt`);
      process.exit(1);
    }
    console.log(`built ${count} entries in ${built} ms; cachex verify: ${v.checked} checked, 0 corrupt`);
  } else console.log(`built ${count} entries in ${built} ms`);
  const listed = JSON.parse(run(data, ['ls', '--json']).stdout);
  const total = listed.reduce((sum, e) => sum + (e.diskBytes ?? e.size ?? 0), 0);
  const half = `${Math.max(1, Math.floor(total / 2 / 1000))}kB`;
  const prune = run(data, ['prune', '--max-size', half, '--dry-run', '--json']);
  const removed = JSON.parse(prune.stdout).removed?.length;
  results.push({
    count,
    ls: timed(data, ['ls']),
    json: timed(data, ['ls', '--json']),
    prune: timed(data, ['prune', '--max-size', half, '--dry-run']),
    half,
    removed,
  });
  if (!process.env.BENCH_KEEP) rmSync(data, { recursive: true, force: true });
}

const [small, big] = results;
const rows = [
  ['', `${small.count} entries`, `${big.count} entries`, 'ratio'],
  ['cachex ls', `${small.ls.toFixed(0)} ms`, `${big.ls.toFixed(0)} ms`, `${(big.ls / small.ls).toFixed(1)}×`],
  [
    'cachex ls --json',
    `${small.json.toFixed(0)} ms`,
    `${big.json.toFixed(0)} ms`,
    `${(big.json / small.json).toFixed(1)}×`,
  ],
  [
    'cachex prune --max-size <half> --dry-run',
    `${small.prune.toFixed(0)} ms`,
    `${big.prune.toFixed(0)} ms`,
    `${(big.prune / small.prune).toFixed(1)}×`,
  ],
];
const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
console.log('');
for (const r of rows)
  console.log(r.map((cell, c) => (c ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  '));
console.log(
  `\n(prune dry runs: --max-size ${small.half} would remove ${small.removed} of ${small.count}; ${big.half}: ${big.removed} of ${big.count})`,
);
if (!process.env.BENCH_KEEP) rmSync(W, { recursive: true, force: true });
