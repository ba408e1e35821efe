#!/usr/bin/env node
// Benchmark: large stores (issue 14, items 2 and 6). Builds stores of 1 000 and 10 000 entries
// (BENCH_SCALE multiplies both) and times, on each, `cachex ls` (the first one, without a summary,
// and the next ones), `ls --json`, `prune --max-size <half the store> --dry-run`, `prune --keep 1
// --dry-run`, `inspect <key>` and `verify`, BENCH_RUNS times (default 3) in alternating rounds,
// median wall time and CPU time (user + system of the child) reported, with the 10k / 1k ratio
// (linear growth is 10×). BENCH_BEFORE=<another cachex's bin/cachex.js> times that build on the
// same stores in the same rounds (each build on its own copy of them: summaries are derived files
// whose format may differ between builds).
//
// The stores are built fast but honestly: one entry is stored by the library (a real miss),
// then each further entry is the same entry for another argument set — its own params, key
// inputs, key, result and sealed meta.yaml, as the library would have written them (no
// fsyncs, which is what makes it fast). `cachex verify --json` of the small store must
// report every entry checked and none corrupt, or the bench stops. BENCH_KEEP=1 keeps the
// stores; BENCH_STORES=<that folder> reuses them. Figures only: nothing asserts on timing.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
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

const BEFORE = process.env.BENCH_BEFORE || null;
const REUSE = process.env.BENCH_STORES || null;
const W = REUSE ?? mkdtempSync(join(tmpdir(), 'cachex-bench-store-'));
const env = { ...process.env, CI: 'true', NO_COLOR: '1' };
delete env.NODE_EXTRA_CA_CERTS;

/** A store of `count` entries of one library task `tile({ n, resolution })`. */
async function buildStore(count) {
  const data = join(W, `data-${count}`);
  if (REUSE && existsSync(data)) return data;
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
  delete template.metaDigest; // sealMeta adds the new entry's own
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

/** CPU time of this process's waited-for children so far (ms; /proc counts in ticks of 10 ms). */
function childCpuMs() {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return Number.NaN;
  }
}

function run(cli, data, args) {
  const cpu0 = childCpuMs();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [cli, ...args], {
    cwd: W,
    env: { ...env, DATA_FOLDER: data },
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = childCpuMs() - cpu0;
  if (r.status !== 0 && !(args[0] === 'verify' && r.status === 4)) {
    console.error(`bench: ${cli} ${args.join(' ')} failed (exit ${r.status ?? r.signal})\n${r.stderr}`);
    process.exit(1);
  }
  return { ms, cpu, stdout: r.stdout, status: r.status };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const noSummary = (data) => rmSync(join(data, 'summaries'), { recursive: true, force: true });

console.log(`cachex bench-store ${new Date().toISOString()}`);
console.log(`node ${process.version}, ${cpus().length} CPU(s) ${cpus()[0]?.model ?? ''}; NODE_EXTRA_CA_CERTS unset`);
console.log(
  `load average at start: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
console.log(
  `stores of ${SIZES.join(' and ')} entries under ${W}; ${RUNS} alternating rounds, median wall / CPU (user+sys)${BEFORE ? `; before: ${BEFORE}` : ''}\n`,
);

const clis = BEFORE
  ? [
      ['after', CLI],
      ['before', BEFORE],
    ]
  : [['after', CLI]];
const results = [];
for (const count of SIZES) {
  const t0 = Date.now();
  const data = await buildStore(count);
  const built = Date.now() - t0;
  if (count === SIZES[0]) {
    const v = JSON.parse(run(CLI, data, ['verify', '--json']).stdout);
    if (v.checked !== count || v.corrupt.length) {
      console.error(`bench: the built store is not valid: ${v.checked} checked, ${v.corrupt.length} corrupt`);
      process.exit(1);
    }
    console.log(`${count} entries (built in ${built} ms); cachex verify: ${v.checked} checked, 0 corrupt`);
  } else console.log(`${count} entries (built in ${built} ms)`);
  noSummary(data);
  // Each build lists its own copy: summaries are derived files whose format may differ between builds,
  // and two builds rewriting each other's would time a first listing on every run.
  const before = `${data}-before`;
  if (BEFORE) {
    rmSync(before, { recursive: true, force: true });
    if (spawnSync('cp', ['-a', data, before]).status !== 0) throw new Error(`cannot copy ${data}`);
  }
  const dataOf = (side) => (side === 'before' ? before : data);
  const listed = JSON.parse(run(CLI, data, ['ls', '--json']).stdout);
  if (listed.length !== count) throw new Error(`ls --json listed ${listed.length} of ${count}`);
  const total = listed.reduce((sum, e) => sum + (e.diskBytes ?? e.size ?? 0), 0);
  const half = `${Math.max(1, Math.floor(total / 2 / 1000))}kB`;
  const removed = JSON.parse(run(CLI, data, ['prune', '--max-size', half, '--dry-run', '--json']).stdout).removed
    ?.length;
  const key = listed[listed.length >> 1].key.slice(0, 12);
  const commands = [
    ['cachex ls, first (no summary yet)', ['ls'], { cold: true }],
    ['cachex ls', ['ls']],
    ['cachex ls --json', ['ls', '--json']],
    ['cachex prune --max-size <half> --dry-run', ['prune', '--max-size', half, '--dry-run']],
    ['cachex prune --keep 1 --dry-run', ['prune', '--keep', '1', '--dry-run']],
    ['cachex inspect <key>', ['inspect', key]],
    ['cachex verify', ['verify']],
  ];
  const samples = new Map();
  for (let round = 0; round < RUNS; round++) {
    for (const [name, args, opts] of commands) {
      for (const [side, cli] of clis) {
        if (opts?.cold) noSummary(dataOf(side));
        const r = run(cli, dataOf(side), args);
        const id = `${name}\0${side}`;
        samples.set(id, [...(samples.get(id) ?? []), r]);
      }
    }
  }
  const figures = new Map();
  for (const [id, rs] of samples)
    figures.set(id, { ms: median(rs.map((r) => r.ms)), cpu: median(rs.map((r) => r.cpu)) });
  results.push({ count, half, removed, figures, names: commands.map(([n]) => n) });
  if (BEFORE) rmSync(before, { recursive: true, force: true });
  if (!process.env.BENCH_KEEP && !REUSE) rmSync(data, { recursive: true, force: true });
}

const [small, big] = results;
const cell = (f) => (f ? `${f.ms.toFixed(0)} / ${f.cpu.toFixed(0)} ms` : '-');
const rows = [['', ...clis.flatMap(([side]) => [`${small.count} (${side})`, `${big.count} (${side})`, 'ratio'])]];
for (const name of small.names) {
  const row = [name];
  for (const [side] of clis) {
    const a = small.figures.get(`${name}\0${side}`);
    const b = big.figures.get(`${name}\0${side}`);
    row.push(cell(a), cell(b), a && b ? `${(b.ms / a.ms).toFixed(1)}×` : '-');
  }
  rows.push(row);
}
const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
console.log('');
for (const r of rows)
  console.log(r.map((cell, c) => (c ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  '));
console.log(
  `\n(prune dry runs: --max-size ${small.half} would remove ${small.removed} of ${small.count}; ${big.half}: ${big.removed} of ${big.count})`,
);
console.log(
  `load average at end: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
if (!process.env.BENCH_KEEP && !REUSE) rmSync(W, { recursive: true, force: true });
