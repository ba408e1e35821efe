#!/usr/bin/env node
// Benchmark: storing and restoring one large output (issue 14, item 3).
//
// A command task writes BENCH_FILES files (default 10 000) of BENCH_MB MiB in all (default
// 1024) into its output folder. In one run, on one data folder:
//   - the generator alone into a scratch folder (its own time: what any cache pays anyway);
//   - the miss `cachex run tree` (generator + sealing + hashing + flushing + commit):
//     cachex's own time = miss − the task's time as that run's status line gives it ("ran …");
//     peak RSS of the cachex process;
//   - `--out DIR --link hardlink` hits vs `cp -al <entry out> DIR`;
//   - `--out DIR --link auto` hits vs `cp -r <entry out> DIR`;
//   - after the hard-link restores and after deleting the restored folder, one plain hit:
//     bytes the cachex process read (rchar from /proc/self/io, bundle and meta.yaml included).
//   - with TURBO_BIN (a turbo 2 binary, e.g. from `npm i turbo` elsewhere: not a dependency of
//     cachex), the baseline of the store goal: turbo's whole miss of the same generator with
//     `outputs: ["out/**"]` (`--force`: run and archive), same run, same disk.
// BENCH_SCALE (default 1) multiplies files and bytes (0.1 → 1 000 files, 102 MiB).
// BENCH_RUNS (default 3) restores of each kind, median reported. CACHEX_BIN picks another
// bin/cachex.js (to compare builds). Figures only: nothing asserts on timing.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const CLI = process.env.CACHEX_BIN ?? join(ROOT, 'bin', 'cachex.js');
const NODE = process.execPath;
const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const FILES = Math.max(1, Math.round(Number(process.env.BENCH_FILES ?? 10_000) * SCALE));
const MB = Math.max(1, Math.round(Number(process.env.BENCH_MB ?? 1024) * SCALE));
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));

const W = mkdtempSync(join(tmpdir(), 'cachex-bench-out-'));
const DATA = join(W, 'data');
const env = { ...process.env, DATA_FOLDER: DATA, CI: 'true', NO_COLOR: '1' };
delete env.NODE_EXTRA_CA_CERTS;

// The generator: FILES files in 100 folders, MB MiB in all, bytes derived from the index (no randomness).
const GEN = join(W, 'gen.mjs');
writeFileSync(
  GEN,
  `import { mkdirSync, writeFileSync } from 'node:fs';
const [out, files, mb] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const size = Math.floor((mb * 1024 * 1024) / files);
const block = Buffer.alloc(size);
for (let i = 0; i < size; i++) block[i] = (i * 31) & 255;
for (let i = 0; i < files; i++) {
  const dir = out + '/d' + (i % 100);
  if (i < 100) mkdirSync(dir, { recursive: true });
  block.writeUInt32LE(i, 0);
  writeFileSync(dir + '/f' + i + '.bin', block);
}
`,
);
// Reads its own /proc/self/io and peak RSS when the process exits (preloaded into cachex with --import).
const PROBE = join(W, 'probe.mjs');
writeFileSync(
  PROBE,
  `import { readFileSync, writeFileSync } from 'node:fs';
process.on('exit', () => {
  const io = readFileSync('/proc/self/io', 'utf8');
  const hwm = /VmHWM:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1];
  writeFileSync(process.env.PROBE_OUT, io + 'vmhwm_kib: ' + hwm + '\\n');
});
`,
);
writeFileSync(
  join(W, 'cachex.config.mjs'),
  `export default { tasks: { tree: { params: { seed: { type: 'integer', default: 1 } },
  command: [${JSON.stringify(NODE)}, ${JSON.stringify(GEN)}, '{out}', '${FILES}', '${MB}', '{seed}'] } } };\n`,
);

function sh(cmd, args, opts = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd: W, env, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20, ...opts });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) {
    console.error(`bench: ${cmd} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`})`);
    console.error(r.stderr?.toString());
    process.exit(1);
  }
  return { ms, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

/** A cachex run with the probe preloaded: time, status line, rchar/read_bytes and peak RSS of that process. */
function cachex(args) {
  const out = join(W, 'probe.txt');
  const r = sh(NODE, ['--import', PROBE, CLI, ...args], { env: { ...env, PROBE_OUT: out } });
  const text = readFileSync(out, 'utf8');
  const field = (name) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(text)[1]);
  const status = r.stderr.split('\n').find((l) => /^(hit|miss)\b/.test(l)) ?? '';
  return { ms: r.ms, status, rchar: field('rchar'), readBytes: field('read_bytes'), rssKiB: field('vmhwm_kib') };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const fmt = (ms) => `${ms.toFixed(0)} ms`;
const mib = (b) => `${(b / 1024 / 1024).toFixed(1)} MiB`;
const rm = (p) => sh('rm', ['-rf', p]);

console.log(`cachex bench-outputs ${new Date().toISOString()}`);
console.log(`node ${process.version}, ${cpus().length} CPU(s) ${cpus()[0]?.model ?? ''}; NODE_EXTRA_CA_CERTS unset`);
console.log(`output: ${FILES} files, ${MB} MiB in all; work folder ${W}; ${RUNS} runs per restore kind\n`);

const cx = (...a) => ['--config', join(W, 'cachex.config.mjs'), ...a];
// The generator alone, twice (the first warms the page cache and the disk as the miss will find them).
sh(NODE, [GEN, join(W, 'scratch'), FILES, MB]);
rm(join(W, 'scratch'));
const gen = sh(NODE, [GEN, join(W, 'scratch'), FILES, MB]).ms;
rm(join(W, 'scratch'));
const miss = cachex(cx('run', 'tree'));
if (!miss.status.startsWith('miss')) console.warn(`warning: expected a miss, got: ${miss.status}`);
// The task's own time as cachex measured it in that same run ("miss tree 1a2b… (ran 2.3s, stored …)").
const ran = /\(ran ([\d.]+)(ms|s|min)\b/.exec(miss.status);
const ranMs = ran ? Number(ran[1]) * { ms: 1, s: 1000, min: 60_000 }[ran[2]] : Number.NaN;
const turboMiss = turbo();
const entryOut = JSON.parse(sh(NODE, [CLI, ...cx('run', 'tree', '--json')]).stdout).outDir;

/** turbo's whole miss of the generator (median of 3 after one to warm up), or undefined without TURBO_BIN. */
function turbo() {
  const bin = process.env.TURBO_BIN;
  if (!bin) return undefined;
  const T = join(W, 'turbo');
  const pkg = join(T, 'pkgs', 'tree');
  mkdirSync(pkg, { recursive: true });
  const json = (file, value) => writeFileSync(join(T, file), JSON.stringify(value));
  json('package.json', { name: 'root', private: true, packageManager: 'npm@11.0.0', workspaces: ['pkgs/*'] });
  json('pkgs/tree/package.json', {
    name: 'tree',
    scripts: { build: `${JSON.stringify(NODE)} ${JSON.stringify(GEN)} out ${FILES} ${MB}` },
  });
  json('package-lock.json', {
    name: 'root',
    lockfileVersion: 3,
    requires: true,
    packages: { '': { name: 'root', workspaces: ['pkgs/*'] }, 'pkgs/tree': { name: 'tree' } },
  });
  json('turbo.json', { tasks: { build: { outputs: ['out/**'] } } });
  const tenv = { ...env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' };
  const git = (...a) => sh('git', ['-c', 'user.email=b@b', '-c', 'user.name=b', ...a], { cwd: T, env: tenv });
  git('init', '-q');
  git('add', '-A');
  git('commit', '-qm', 'bench');
  const times = [];
  for (let i = 0; i < 4; i++) {
    rm(join(pkg, 'out'));
    const r = sh(bin, ['run', 'build', '--force', '--output-logs=none'], { cwd: T, env: tenv });
    if (i > 0) times.push(r.ms);
  }
  // It stored what it ran: an archive in its local cache.
  const archived = sh('find', [T, '-path', '*/.turbo/cache/*.tar.zst']).stdout.trim();
  if (!archived) console.warn('warning: turbo left no archive in .turbo/cache');
  rm(T);
  return median(times);
}

const restore = (link, baseline) => {
  const ours = [];
  const theirs = [];
  for (let i = 0; i < RUNS; i++) {
    const dir = join(W, `restored-${link}`);
    const r = cachex(cx('run', 'tree', '--out', dir, '--link', link));
    if (!r.status.startsWith('hit')) console.warn(`warning: expected a hit, got: ${r.status}`);
    ours.push(r.ms);
    rm(dir);
    const c = join(W, `cp-${link}`);
    theirs.push(sh('cp', [...baseline, entryOut, c]).ms);
    rm(c);
  }
  return { ours: median(ours), theirs: median(theirs) };
};
const hard = restore('hardlink', ['-al']);
const after = cachex(cx('run', 'tree'));
const auto = restore('auto', ['-r']);
const plain = cachex(cx('run', 'tree'));

const rows = [
  ['generator alone (writes the files)', fmt(gen)],
  ['miss: cachex run tree', fmt(miss.ms)],
  ['  the generator inside it (cachex: "ran …")', fmt(ranMs)],
  ['  cachex own time (miss − ran)', fmt(miss.ms - ranMs)],
  ['  peak RSS of cachex', mib(miss.rssKiB * 1024)],
  turboMiss === undefined
    ? ['turbo run build (whole miss): TURBO_BIN unset', '-']
    : [
        'turbo run build --force (whole miss, median of 3)',
        `${fmt(turboMiss)} → own time ${((miss.ms - ranMs) / turboMiss).toFixed(2)}×`,
      ],
  ['hit --out --link hardlink (median)', fmt(hard.ours)],
  ['  cp -al (median)', `${fmt(hard.theirs)} → ${(hard.ours / hard.theirs).toFixed(1)}×`],
  ['hit --out --link auto (median)', fmt(auto.ours)],
  ['  cp -r (median)', `${fmt(auto.theirs)} → ${(auto.ours / auto.theirs).toFixed(1)}×`],
  ['hit after hard-link restores, folder deleted', `${fmt(after.ms)}, read ${mib(after.rchar)} (rchar)`],
  ['plain hit (after the auto restores)', `${fmt(plain.ms)}, read ${mib(plain.rchar)} (rchar)`],
];
const w = Math.max(...rows.map((r) => r[0].length));
for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);
console.log(
  `\n(outputs are ${mib(MB * 1024 * 1024)}; rchar counts every byte the cachex process read, its bundle too)`,
);
if (!process.env.BENCH_KEEP) rmSync(W, { recursive: true, force: true });
