#!/usr/bin/env node
// What a cache hit costs, against Node's own floor, measured side by side (part of `npm run bench`).
//
// In a scratch project with a TypeScript config (cachex.config.ts), one command task and one
// TypeScript function task, each stored once and hit once (so the validated config is saved),
// then BENCH_HIT_RUNS rounds, each timing once, in a rotating order:
//   - `node -e 0`;
//   - the floor: a ten-line script that reads a stored entry (meta.yaml, the stdout log) and
//     writes its output, as CommonJS and as an ES module;
//   - `cachex run hello` (command task) and `cachex run double` (function task), both hits;
//   - with BENCH_BEFORE=<another cachex's bin/cachex.js>, the same two hits by that build
//     (its own data folder), for a before/after from the same run.
// NODE_EXTRA_CA_CERTS is unset for every process: with it Node parses the extra certificates
// at every start, which would flatter every ratio. Prints medians and ratios (wall; CPU of all runs; each
// process's own CPU, reported by a --require'd observer every variant loads alike, paired per round);
// asserts nothing on timing. Exits 1 if a hit fails or does not say "hit", or if the hit outputs differ.
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, tmpdir } from 'node:os';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const CLI = join(ROOT, 'bin', 'cachex.js');
const NODE = process.execPath;
const RUNS = Number(process.env.BENCH_HIT_RUNS ?? 30);
const BEFORE = process.env.BENCH_BEFORE || null;
if (!Number.isInteger(RUNS) || RUNS < 1) {
  console.error(
    `bench-hit: BENCH_HIT_RUNS must be a positive integer, got ${JSON.stringify(process.env.BENCH_HIT_RUNS)}`,
  );
  process.exit(1);
}
if (BEFORE && !existsSync(BEFORE)) {
  console.error(`bench-hit: BENCH_BEFORE ${BEFORE} does not exist`);
  process.exit(1);
}

const project = mkdtempSync(join(tmpdir(), 'cachex-bench-hit-'));
const CONFIG = `import { defineConfig } from 'cachex';

export default defineConfig({
  tasks: {
    hello: {
      command: ['sh', '-c', 'echo hello {name}'],
      params: { name: { type: 'string', default: 'world' } },
    },
    double: {
      params: { n: { type: 'number', default: 21 } },
      run: async ({ n }) => {
        console.log('doubling', n);
        return n * 2;
      },
    },
  },
});
`;
writeFileSync(join(project, 'cachex.config.ts'), CONFIG);

const baseEnv = { ...process.env, CI: 'true', NO_COLOR: '1' };
for (const name of ['NODE_EXTRA_CA_CERTS', 'NODE_OPTIONS', 'FORCE_COLOR', 'CACHEX_DEBUG', 'DATA_FOLDER'])
  delete baseEnv[name];
const dataNow = join(project, 'data-now');
const dataBefore = join(project, 'data-before');

/** CPU time of this process's waited-for children so far (ms; /proc counts in ticks of 10 ms, so summed over many runs). */
function childCpuMs() {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return Number.NaN;
  }
}

// Each timed process reports its own CPU time (all its threads, from its start) as it exits: exact to the
// microsecond where /proc's children total counts in 10 ms ticks. Every variant loads this observer alike.
const OBSERVER = join(project, 'cpu-observer.cjs');
writeFileSync(
  OBSERVER,
  "process.on('exit', () => { const u = process.cpuUsage(); require('node:fs').writeSync(2, `\\ncachex-bench-cpu ${u.user + u.system}\\n`); });\n",
);
const OWN_CPU = /\ncachex-bench-cpu (\d+)\n$/;

function run(args, env, observe = false) {
  const cpu0 = childCpuMs();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(NODE, observe ? ['--require', OBSERVER, ...args] : args, {
    cwd: project,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = childCpuMs() - cpu0;
  let stderr = r.stderr?.toString() ?? '';
  const own = stderr.match(OWN_CPU);
  if (own) stderr = stderr.slice(0, own.index);
  const ownCpu = own ? Number(own[1]) / 1000 : Number.NaN;
  return { ms, cpu, ownCpu, code: r.status, stdout: r.stdout?.toString() ?? '', stderr };
}

/** Stored outputs are read-only: make everything writable again, then remove the scratch project. */
function cleanUp() {
  const walk = (p) => {
    const st = lstatSync(p, { throwIfNoEntry: false });
    if (!st || st.isSymbolicLink()) return;
    chmodSync(p, st.isDirectory() ? 0o700 : 0o600);
    if (st.isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
  };
  try {
    walk(project);
    rmSync(project, { recursive: true, force: true });
  } catch (err) {
    console.error(`bench-hit: could not remove ${project}: ${err.message}`);
  }
}

function must(what, r, hit) {
  if (r.code !== 0 || (hit && !/^hit /m.test(r.stderr))) {
    console.error(`bench-hit: ${what} failed (exit ${r.code})\n${r.stdout}${r.stderr}`);
    cleanUp();
    process.exit(1);
  }
  return r;
}

// The floor: what any hit must do at least — read the entry's record and its log, write the log out.
const floorBody = (fs, path) => `const dir = process.argv[2];
const meta = ${fs}.readFileSync(${path}.join(dir, 'meta.yaml'), 'utf8');
if (!meta.includes('exitCode: 0')) process.exit(1);
const out = ${fs}.readFileSync(${path}.join(dir, 'stdout.log'));
process.stdout.write(out);
process.stderr.write('hit\\n');
`;
writeFileSync(
  join(project, 'floor.cjs'),
  `const fs = require('node:fs');\nconst path = require('node:path');\n${floorBody('fs', 'path')}`,
);
writeFileSync(
  join(project, 'floor.mjs'),
  `import fs from 'node:fs';\nimport path from 'node:path';\n${floorBody('fs', 'path')}`,
);

const variants = [];
const add = (name, args, env, check) => variants.push({ name, args, env, check, samples: [], cpu: 0, own: [] });
const envNow = { ...baseEnv, DATA_FOLDER: dataNow };
const envBefore = { ...baseEnv, DATA_FOLDER: dataBefore };

// Prime: a miss stores each entry, the next run (a hit) saves the validated config, one more to be sure.
const outputs = {};
for (const [cli, env, label] of [[CLI, envNow, 'now'], ...(BEFORE ? [[BEFORE, envBefore, 'before']] : [])]) {
  for (const task of ['hello', 'double']) {
    must(`${label} ${task} (first run)`, run([cli, 'run', task], env), false);
    for (let i = 0; i < 3; i++)
      outputs[`${label} ${task}`] = must(`${label} ${task} (hit)`, run([cli, 'run', task], env), true).stdout;
  }
}
for (const task of ['hello', 'double']) {
  if (BEFORE && outputs[`now ${task}`] !== outputs[`before ${task}`]) {
    console.error(`bench-hit: ${task}: the hit's output differs between this build and BENCH_BEFORE`);
    cleanUp();
    process.exit(1);
  }
}
const taskDir = join(dataNow, 'cache', 'tasks', 'hello');
const entry = join(taskDir, readdirSync(taskDir)[0]);

add('node -e 0', ['-e', '0'], baseEnv);
add('floor (CommonJS)', [join(project, 'floor.cjs'), entry], baseEnv);
add('floor (ES module)', [join(project, 'floor.mjs'), entry], baseEnv);
add('hit, command task', [CLI, 'run', 'hello'], envNow, true);
add('hit, function task', [CLI, 'run', 'double'], envNow, true);
if (BEFORE) {
  add('before: hit, command task', [BEFORE, 'run', 'hello'], envBefore, true);
  add('before: hit, function task', [BEFORE, 'run', 'double'], envBefore, true);
}

for (const v of variants) run(v.args, v.env); // warm-up, untimed
for (let round = 0; round < RUNS; round++) {
  for (let i = 0; i < variants.length; i++) {
    const v = variants[(round + i) % variants.length];
    const r = must(v.name, run(v.args, v.env, true), v.check);
    v.samples.push(r.ms);
    v.cpu += r.cpu;
    v.own[round] = r.ownCpu;
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const floor = median(variants[0].samples);
const floorCpu = variants[0].cpu;
console.log(
  `bench-hit: node ${process.version}, ${process.platform}/${process.arch}, ${cpus().length} CPU(s) ${cpus()[0]?.model ?? ''}`,
);
console.log(`NODE_EXTRA_CA_CERTS unset for every process; ${RUNS} rounds, runs alternating; TypeScript config`);
console.log(
  'ratios against node -e 0: wall median; CPU time (user + sys, steadier on a busy machine) of all runs; and each',
);
console.log("process's own CPU time, median, with the median of its ratio to node -e 0's in the same round (paired)");
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
const width = Math.max(...variants.map((v) => v.name.length));
for (const v of variants) {
  const m = median(v.samples);
  const min = Math.min(...v.samples);
  const cpu = v.cpu / RUNS;
  const own = median(v.own);
  const paired = median(v.own.map((c, round) => c / variants[0].own[round]));
  console.log(
    `  ${v.name.padEnd(width)}  median ${m.toFixed(1).padStart(6)} ms ${(m / floor).toFixed(2).padStart(5)}×   min ${min.toFixed(1).padStart(6)} ms   cpu ${cpu.toFixed(1).padStart(6)} ms ${(v.cpu / floorCpu).toFixed(2).padStart(5)}×   own cpu ${own.toFixed(1).padStart(5)} ms ${paired.toFixed(2).padStart(5)}×`,
  );
}
cleanUp();
