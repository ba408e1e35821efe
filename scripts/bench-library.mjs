#!/usr/bin/env node
// Benchmark: the library per call (issue 14, item 4). With the built dist/index.js, on a
// fresh data folder:
//   - disk hit: a cached function with the memory layer off, called BENCH_CALLS times
//     (default 2000) with arguments it has stored: each call checks the entry on disk
//     (meta.yaml's digest, logs, result) as a new process would;
//   - memory hit: the same with the memory layer on (one stat per call, then a fresh copy:
//     this value is plain data, copied from a frozen master);
//   - the floor: the function itself, and v8 deserialize of the same value;
//   - joblib's Memory.cache hit on the same data (python3 -c, when joblib is installed),
//     per call, in the same run: every row in BENCH_TURNS turns (default 3), cachex and
//     joblib alternating, each row the median of its turns.
// Wall time and CPU time (user + system) per call: on a busy machine CPU time is the steadier.
// CACHEX_LIB picks another dist/index.js (to compare builds).
// Figures only: nothing asserts on timing.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { deserialize, serialize } from 'node:v8';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const LIB = process.env.CACHEX_LIB ?? join(ROOT, 'dist', 'index.js');
const CALLS = Math.max(100, Number(process.env.BENCH_CALLS ?? 2000));
const DATA = mkdtempSync(join(tmpdir(), 'cachex-bench-lib-'));
process.env.DATA_FOLDER = DATA;
const { cache } = await import(pathToFileURL(LIB).href);

const value = { points: 123456, bbox: [0, 0, 0, 10, 10, 10], name: 'tile', tags: ['a', 'b'] };
async function summarise({ tile, resolution }) {
  return { ...value, tile, resolution };
}

/** Median wall and CPU (user + system) µs per call over 5 rounds of CALLS calls (after one warm round). */
async function perCall(call) {
  const wall = [];
  const cpu = [];
  for (let r = 0; r < 6; r++) {
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    for (let i = 0; i < CALLS; i++) await call(i);
    const c = process.cpuUsage(c0);
    if (r > 0) {
      wall.push(Number(process.hrtime.bigint() - t0) / 1e3 / CALLS);
      cpu.push((c.user + c.system) / CALLS);
    }
  }
  const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
  return { wall: median(wall), cpu: median(cpu) };
}

const KEYS = 20; // a few argument sets, cycled
const disk = cache(summarise, { name: 'diskHits', memory: false });
const memory = cache(summarise, { name: 'memoryHits' });
for (let k = 0; k < KEYS; k++) {
  await disk({ tile: k, resolution: 0.5 });
  await memory({ tile: k, resolution: 0.5 });
}

// joblib, same shape of call, when it is there.
const py = `
import sys, time, tempfile, statistics
import joblib
mem = joblib.Memory(tempfile.mkdtemp(), verbose=0)
@mem.cache
def summarise(tile, resolution):
    return {'points': 123456, 'bbox': [0,0,0,10,10,10], 'name': 'tile', 'tags': ['a','b'], 'tile': tile, 'resolution': resolution}
n = int(sys.argv[1])
for k in range(20): summarise(k, 0.5)
wall, cpu = [], []
for r in range(6):
    t0, c0 = time.perf_counter(), time.process_time()
    for i in range(n): summarise(i % 20, 0.5)
    if r:
        wall.append((time.perf_counter() - t0) / n * 1e6)
        cpu.append((time.process_time() - c0) / n * 1e6)
print(statistics.median(wall), statistics.median(cpu), joblib.__version__)
`;
let python = null;
for (const candidate of ['/usr/bin/python3', 'python3']) {
  if (spawnSync(candidate, ['-c', 'import joblib']).status === 0) {
    python = candidate;
    break;
  }
}
function joblibHit() {
  const r = spawnSync(python, ['-c', py, String(Math.min(CALLS, 2000))], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  const [wall, cpu, version] = r.stdout.trim().split(' ');
  return { us: { wall: Number(wall), cpu: Number(cpu) }, version };
}

// On a shared machine the load changes from second to second: every row is measured in BENCH_TURNS turns
// (default 3), cachex and joblib alternating, and reports the median of its turns.
const TURNS = Math.max(1, Number(process.env.BENCH_TURNS ?? 3));
const turns = { disk: [], memory: [], deserialize: [], fn: [], joblib: [] };
const bytes = serialize(value);
let joblibVersion = null;
for (let t = 0; t < TURNS; t++) {
  turns.disk.push(await perCall((i) => disk({ tile: i % KEYS, resolution: 0.5 })));
  turns.memory.push(await perCall((i) => memory({ tile: i % KEYS, resolution: 0.5 })));
  turns.deserialize.push(await perCall(() => deserialize(Buffer.from(bytes))));
  turns.fn.push(await perCall((i) => summarise({ tile: i % KEYS, resolution: 0.5 })));
  const j = python && joblibHit();
  if (j) {
    turns.joblib.push(j.us);
    joblibVersion = j.version;
  }
}
if (disk.stats().misses !== KEYS || memory.stats().misses !== KEYS) console.warn('warning: unexpected misses');
const mid = (list, k) => list.map((x) => x[k]).sort((a, b) => a - b)[list.length >> 1];
const median = (list) => ({ wall: mid(list, 'wall'), cpu: mid(list, 'cpu') });
const rows = [
  ['disk hit (memory layer off)', median(turns.disk)],
  ['memory hit', median(turns.memory)],
  ['floor: v8.deserialize of the value', median(turns.deserialize)],
  ['floor: the function itself', median(turns.fn)],
];
if (turns.joblib.length) rows.push([`joblib ${joblibVersion} Memory.cache hit (${python})`, median(turns.joblib)]);

const load = loadavg()
  .map((l) => l.toFixed(2))
  .join(' ');
console.log(`cachex bench-library ${new Date().toISOString()}`);
console.log(
  `node ${process.version}, ${cpus().length} CPU(s) ${cpus()[0]?.model ?? ''}; ${CALLS} calls × 5 rounds × ${TURNS} turns; load average ${load}\n`,
);
const w = Math.max(...rows.map((r) => r[0].length));
console.log(`${''.padEnd(w)}  µs per call: wall / CPU (user + system)`);
for (const [k, us] of rows) console.log(`${k.padEnd(w)}  ${us.wall.toFixed(1).padStart(7)} / ${us.cpu.toFixed(1)}`);
if (!turns.joblib.length) console.log('\n(joblib is not installed here: no joblib figure in this run)');
rmSync(DATA, { recursive: true, force: true });
