#!/usr/bin/env node
// What the full CLI costs — a miss, and every command that is not a hit (part of `npm run bench`).
//
// In BENCH_MISS_RUNS rounds, in a rotating order, each timing once:
//   - `node -e 0`;
//   - a cold config: a miss in a new folder holding the same cachex.config.ts (a config path
//     seen for the first time, as in a CI job's fresh checkout or each test's scratch folder);
//   - a warm miss: a miss (a new --name) in one folder whose config has been loaded before;
//   - `cachex ls` in that folder;
//   - with BENCH_BEFORE=<another cachex's bin/cachex.js>, the same three by that build (its
//     own folders and data folders), for a before/after from the same run.
// NODE_EXTRA_CA_CERTS is unset for every process (see bench-hit.mjs). Prints the CPU time
// (user + sys, the steadier figure on a busy machine) and the wall median; asserts nothing on
// timing. Exits 1 if a run fails or a miss does not say "miss".
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const CLI = join(ROOT, 'bin', 'cachex.js');
const NODE = process.execPath;
const RUNS = Number(process.env.BENCH_MISS_RUNS ?? 20);
const BEFORE = process.env.BENCH_BEFORE || null;
if (!Number.isInteger(RUNS) || RUNS < 1) {
  console.error(
    `bench-miss: BENCH_MISS_RUNS must be a positive integer, got ${JSON.stringify(process.env.BENCH_MISS_RUNS)}`,
  );
  process.exit(1);
}
if (BEFORE && !existsSync(BEFORE)) {
  console.error(`bench-miss: BENCH_BEFORE ${BEFORE} does not exist`);
  process.exit(1);
}

const scratch = mkdtempSync(join(tmpdir(), 'cachex-bench-miss-'));
const CONFIG = `import { defineConfig } from 'cachex';

export default defineConfig({
  tasks: {
    hello: {
      command: ['sh', '-c', 'echo hello {name}'],
      params: { name: { type: 'string', default: 'world' } },
    },
  },
});
`;

const baseEnv = { ...process.env, CI: 'true', NO_COLOR: '1' };
for (const name of ['NODE_EXTRA_CA_CERTS', 'NODE_OPTIONS', 'FORCE_COLOR', 'CACHEX_DEBUG', 'DATA_FOLDER'])
  delete baseEnv[name];

/** CPU time of this process's waited-for children so far (ms; /proc counts in ticks of 10 ms, so summed over many runs). */
function childCpuMs() {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return Number.NaN;
  }
}

function run(args, cwd, env) {
  const cpu0 = childCpuMs();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(NODE, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = childCpuMs() - cpu0;
  return { ms, cpu, code: r.status, stdout: r.stdout?.toString() ?? '', stderr: r.stderr?.toString() ?? '' };
}

/** Stored outputs are read-only: make everything writable again, then remove the scratch folder. */
function cleanUp() {
  const walk = (p) => {
    const st = lstatSync(p, { throwIfNoEntry: false });
    if (!st || st.isSymbolicLink()) return;
    chmodSync(p, st.isDirectory() ? 0o700 : 0o600);
    if (st.isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
  };
  try {
    walk(scratch);
    rmSync(scratch, { recursive: true, force: true });
  } catch (err) {
    console.error(`bench-miss: could not remove ${scratch}: ${err.message}`);
  }
}

function must(what, r, miss) {
  if (r.code !== 0 || (miss && !/^miss /m.test(r.stderr))) {
    console.error(`bench-miss: ${what} failed (exit ${r.code})\n${r.stdout}${r.stderr}`);
    cleanUp();
    process.exit(1);
  }
  return r;
}

let folders = 0;
function project() {
  const dir = join(scratch, `project-${++folders}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'cachex.config.ts'), CONFIG);
  return dir;
}

const variants = [];
let names = 0;
const add = (name, args, cwd, env, miss) => variants.push({ name, args, cwd, env, miss, samples: [], cpu: 0 });
add(
  'node -e 0',
  () => ['-e', '0'],
  () => scratch,
  baseEnv,
  false,
);
for (const [label, cli] of [['', CLI], ...(BEFORE ? [['before: ', BEFORE]] : [])]) {
  const warm = project();
  const env = { ...baseEnv, DATA_FOLDER: join(scratch, `data-${label ? 'before' : 'now'}`) };
  must(`${label}first run`, run([cli, 'run', 'hello'], warm, env), true);
  const miss = () => [cli, 'run', 'hello', '--name', `n${++names}`];
  add(`${label}miss, cold config`, miss, project, env, true);
  add(`${label}miss, warm config`, miss, () => warm, env, true);
  add(
    `${label}ls`,
    () => [cli, 'ls'],
    () => warm,
    env,
    false,
  );
}

for (const v of variants) run(v.args(), v.cwd(), v.env); // warm-up, untimed
for (let round = 0; round < RUNS; round++) {
  for (let i = 0; i < variants.length; i++) {
    const v = variants[(round + i) % variants.length];
    const r = must(v.name, run(v.args(), v.cwd(), v.env), v.miss);
    v.samples.push(r.ms);
    v.cpu += r.cpu;
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
console.log(
  `bench-miss: node ${process.version}, ${process.platform}/${process.arch}, ${cpus().length} CPU(s) ${cpus()[0]?.model ?? ''}`,
);
console.log(
  `NODE_EXTRA_CA_CERTS unset for every process; ${RUNS} rounds, runs alternating; TypeScript config; load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
const width = Math.max(...variants.map((v) => v.name.length));
for (const v of variants)
  console.log(
    `  ${v.name.padEnd(width)}  cpu ${(v.cpu / RUNS).toFixed(1).padStart(6)} ms   wall median ${median(v.samples).toFixed(1).padStart(6)} ms`,
  );
cleanUp();
