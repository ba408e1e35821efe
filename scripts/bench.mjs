#!/usr/bin/env node
// Benchmark for `npm run bench`: how much does a cache hit cost compared with starting
// Node at all?
//
//   1. makes (once, cached in bench-data/, which git ignores) a ≥ 100 MB binary PCD with
//      scripts/gen-pcd.mjs;
//   2. with a fresh temporary DATA_FOLDER, runs
//        node bin/cachex.js run convert --file <big.pcd> --resolution 0.5
//      once (the miss) and then BENCH_RUNS more times (the hits);
//   3. runs `node -e 0` and `node bin/cachex.js --version` BENCH_RUNS times each;
//   4. prints wall times and the ratios hit / `node -e 0` and hit / `--version`.
//
// Environment: BENCH_RUNS (default 10), BENCH_MB (size of the generated cloud, default
// 120, at least 100), BENCH_KEEP=1 keeps the temporary data folder.
// Figures only: nothing here asserts on timing. Exits 1 if a cachex run fails.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const CLI = join(ROOT, 'bin', 'cachex.js');
const GEN = join(ROOT, 'scripts', 'gen-pcd.mjs');
const NODE = process.execPath;

function positiveInt(name, fallback, min = 1) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min) {
    console.error(`bench: ${name} must be an integer ≥ ${min}, got ${JSON.stringify(raw)}`);
    process.exit(1);
  }
  return v;
}

const RUNS = positiveInt('BENCH_RUNS', 10);
const MB = positiveInt('BENCH_MB', 120, 100);

function die(msg) {
  console.error(`bench: ${msg}`);
  process.exit(1);
}

// --- 1. the big input, generated once ------------------------------------------------

function ensureCloud() {
  const dir = join(ROOT, 'bench-data');
  const file = join(dir, `bench-${MB}mb-seed1.pcd`);
  if (existsSync(file) && statSync(file).size >= MB * 1024 * 1024) return file;
  mkdirSync(dir, { recursive: true });
  const partial = `${file}.partial-${process.pid}`;
  console.log(`generating ${file} (${MB} MiB, once) …`);
  const r = spawnSync(NODE, [GEN, partial, '--mb', String(MB), '--seed', '1'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) {
    rmSync(partial, { force: true });
    die(`gen-pcd.mjs failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`})`);
  }
  renameSync(partial, file); // only a complete file ever gets the cached name
  return file;
}

// --- 2/3. timed runs ---------------------------------------------------------------------

function timed(args, env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(NODE, args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
    maxBuffer: 256 * 1024 * 1024,
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return {
    ms,
    status: r.status,
    signal: r.signal,
    error: r.error,
    stdout: r.stdout?.toString() ?? '',
    stderr: r.stderr?.toString() ?? '',
  };
}

class BenchFailure extends Error {}

function mustSucceed(what, r) {
  if (r.error || r.status !== 0) {
    console.error(
      `bench: ${what} failed (${r.error ? r.error.message : r.signal ? `signal ${r.signal}` : `exit ${r.status}`})`,
    );
    if (r.stdout.trim()) console.error(`--- stdout ---\n${r.stdout.trimEnd()}`);
    console.error(`--- stderr ---\n${r.stderr.trimEnd() || '(empty)'}`);
    throw new BenchFailure(what);
  }
  return r;
}

/** The cachex status line ("hit convert 3f2a… (saved …)" / "miss convert …"), if any. */
function statusLine(stderr) {
  return stderr
    .split('\n')
    .reverse()
    .find((l) => /^\s*(hit|miss)\b/.test(l))
    ?.trim();
}

function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const rank = (p) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
  const mid = s.length >> 1;
  return {
    median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2,
    min: s[0],
    p90: rank(0.9),
  };
}

/** Make everything under `dir` writable again (stored outputs are read-only), then remove it. */
function removeTree(dir) {
  const walk = (p) => {
    const st = lstatSync(p, { throwIfNoEntry: false });
    if (!st || st.isSymbolicLink()) return;
    try {
      chmodSync(p, st.isDirectory() ? 0o700 : 0o600);
    } catch {}
    if (st.isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
  };
  try {
    walk(dir);
    rmSync(dir, { recursive: true, force: true });
  } catch (err) {
    console.error(`bench: could not remove ${dir}: ${err.message}`);
  }
}

// --- main ---------------------------------------------------------------------------------

if (!existsSync(CLI)) die(`${CLI} is missing`);
if (!existsSync(join(ROOT, 'dist'))) die('dist/ is missing: run `npm run build` first (or use `npm run bench`)');

const cloud = ensureCloud();
const DATA_FOLDER = mkdtempSync(join(tmpdir(), 'cachex-bench-'));
const env = { ...process.env, DATA_FOLDER, CI: 'true' };
const convert = [CLI, 'run', 'convert', '--file', cloud, '--resolution', '0.5'];

let exitCode = 0;
try {
  console.log(
    `node ${process.version}, ${process.platform}/${process.arch}, ${cpus().length} CPU(s) ${cpus()[0]?.model ?? ''}`.trim(),
  );
  console.log(
    `input ${cloud} (${(statSync(cloud).size / 1024 / 1024).toFixed(1)} MiB), DATA_FOLDER ${DATA_FOLDER}, ${RUNS} runs each\n`,
  );

  const miss = mustSucceed('the first `cachex run convert` (miss)', timed(convert, env));
  const missStatus = statusLine(miss.stderr);
  if (missStatus && !/^miss\b/.test(missStatus))
    console.warn(`warning: first run was expected to miss, cachex said: ${missStatus}`);

  const hits = [];
  let notHit;
  for (let i = 0; i < RUNS; i++) {
    const r = mustSucceed(`\`cachex run convert\` (hit ${i + 1})`, timed(convert, env));
    const line = statusLine(r.stderr);
    if (line && !/^hit\b/.test(line)) notHit ??= line;
    hits.push(r.ms);
  }
  if (notHit) console.warn(`warning: a repeated run did not report a hit: ${notHit}`);

  timed(['-e', '0'], env); // warm-up, untimed
  const bare = [];
  for (let i = 0; i < RUNS; i++) bare.push(mustSucceed('`node -e 0`', timed(['-e', '0'], env)).ms);

  mustSucceed('`cachex --version`', timed([CLI, '--version'], env)); // warm-up, untimed
  const version = [];
  for (let i = 0; i < RUNS; i++) version.push(mustSucceed('`cachex --version`', timed([CLI, '--version'], env)).ms);

  const h = stats(hits);
  const b = stats(bare);
  const v = stats(version);
  const ms = (x) => `${x.toFixed(1)} ms`;
  const rows = [
    ['miss (first run)', ms(miss.ms), '', ''],
    [`hit (${RUNS} runs)`, ms(h.median), ms(h.min), ms(h.p90)],
    ['node -e 0', ms(b.median), ms(b.min), ms(b.p90)],
    ['cachex --version', ms(v.median), ms(v.min), ms(v.p90)],
  ];
  const head = ['', 'median', 'min', 'p90'];
  const widths = head.map((_, c) => Math.max(...[head, ...rows].map((r) => r[c].length)));
  const fmt = (r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('   ');
  console.log(fmt(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('   '));
  for (const r of rows) console.log(fmt(r));
  console.log('');
  console.log(`hit / node -e 0        ${(h.median / b.median).toFixed(2)}×`);
  console.log(`hit / cachex --version ${(h.median / v.median).toFixed(2)}×`);
  console.log(`miss / hit             ${(miss.ms / h.median).toFixed(1)}×`);
  if (missStatus) console.log(`\nmiss said: ${missStatus}`);
} catch (err) {
  if (!(err instanceof BenchFailure)) console.error(`bench: ${err.stack ?? err}`);
  exitCode = 1;
} finally {
  if (process.env.BENCH_KEEP === '1') console.log(`kept ${DATA_FOLDER}`);
  else removeTree(DATA_FOLDER);
}
process.exitCode = exitCode;
