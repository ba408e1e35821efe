#!/usr/bin/env node
// Benchmark for `npm run bench:remote`: N runners sharing one turborepo-remote-cache server.
//
//   One server (turborepo-remote-cache, local storage, on 127.0.0.1) behind a byte-counting
//   proxy; BENCH_RUNNERS runners (default 8), each its own data folder, each working through
//   BENCH_KEYS keys (default 10) of the stand-in converter (sleeping BENCH_SLEEP s, default 1)
//   one `cachex run` at a time, each starting at a different key; all started together.
//   Phases, each on a fresh server:
//     baseline   no remote: every runner runs every key;
//     lease on   the remote with its lease (the default);
//     lease off  the remote with remote.lease: false;
//   and then 8 fresh runners against the lease-on server (expect 0 executions).
//   Prints executions per key, wall time, bytes up/down (request / response bodies through the
//   proxy) per phase, and the wall-time ratio against the baseline measured in the same run.
//
// Figures only: nothing here asserts on timing. Exits 1 if a cachex run fails.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const CLI = join(ROOT, 'bin', 'cachex.js');
const CONVERTER = join(ROOT, 'fixtures', 'fake-converter');
const SAMPLE = join(ROOT, 'fixtures', 'data.pcd');
const SERVER = join(ROOT, 'node_modules', 'turborepo-remote-cache', 'dist', 'cli.js');
const RUNNERS = Number(process.env.BENCH_RUNNERS ?? 8);
const KEYS = Number(process.env.BENCH_KEYS ?? 10);
const SLEEP = process.env.BENCH_SLEEP ?? '1';
const TOKEN = 'bench-token';
const KEY = 'bench-signing-key-0123456789abcdef0123456789';

function die(msg) {
  console.error(`bench:remote: ${msg}`);
  process.exit(1);
}

if (!existsSync(join(ROOT, 'dist', 'cli', 'cachex.cjs'))) die('run `npm run build` first');
if (!existsSync(SERVER)) die('turborepo-remote-cache is not installed (npm ci)');

const work = mkdtempSync(join(tmpdir(), 'cachex-bench-remote-'));
const files = Array.from({ length: KEYS }, (_, i) => {
  const file = join(work, 'in', `k${i}.pcd`);
  cpSync(SAMPLE, file);
  writeFileSync(file, readFileSync(SAMPLE, 'utf8').replace('\n', `\n# bench key ${i}\n`));
  return file;
});
const config = (lease) => `export default {
  ${lease ? '' : 'remote: { lease: false },\n  '}tasks: {
    potree: {
      params: { file: { type: 'file', required: true } },
      command: ['\${POTREE_CONVERTER}', '{file}', '-o', '{out}'],
    },
  },
};
`;
writeFileSync(join(work, 'lease-on.config.mjs'), config(true));
writeFileSync(join(work, 'lease-off.config.mjs'), config(false));

/** turborepo-remote-cache on a free port; resolves { url, stop }. */
function startServer(dir) {
  const child = spawn(process.execPath, [SERVER], {
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: '0',
      STORAGE_PROVIDER: 'local',
      STORAGE_PATH: dir,
      STORAGE_PATH_USE_TMP_FOLDER: 'false',
      TURBO_TOKEN: TOKEN,
      TURBO_REMOTE_CACHE_SIGNATURE_KEY: 'on',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  return new Promise((resolve, reject) => {
    const onData = (d) => {
      text += d;
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(text);
      if (m) resolve({ url: m[1], stop: () => child.kill('SIGTERM') });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`turborepo-remote-cache exited (${code}):\n${text}`)));
  });
}

/** A pass-through proxy counting request and response body bytes and requests per method. */
function startCounter(target) {
  const counts = { up: 0, down: 0, requests: {} };
  const server = http.createServer((req, res) => {
    counts.requests[req.method] = (counts.requests[req.method] ?? 0) + 1;
    const url = new URL(req.url, target);
    const up = http.request(url, { method: req.method, headers: { ...req.headers, host: url.host }, agent: false });
    up.on('error', () => res.destroy());
    req.on('data', (d) => (counts.up += d.length));
    req.pipe(up);
    up.on('response', (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.on('data', (d) => (counts.down += d.length));
      answer.pipe(res);
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${server.address().port}`,
        counts,
        reset: () => Object.assign(counts, { up: 0, down: 0, requests: {} }),
        stop: () => server.close(),
      }),
    ),
  );
}

function runOne(data, env, file, configFile) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, '--config', configFile, 'run', 'potree', '--json', '--file', file], {
      cwd: work,
      env: { ...process.env, ...env, DATA_FOLDER: data, POTREE_CONVERTER: CONVERTER, FAKE_SLEEP: SLEEP, CI: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => {
      if (code !== 0) die(`cachex run failed (${code}):\n${err}`);
      resolve(JSON.parse(out));
    });
  });
}

/** All runners at once; each goes through every key, starting at its own. */
async function phase(name, env, configFile) {
  const log = join(work, `${name.replace(/\W+/g, '-')}.jsonl`);
  const started = performance.now();
  const outcomes = (
    await Promise.all(
      Array.from({ length: RUNNERS }, async (_, r) => {
        const data = join(work, 'runners', `${name.replace(/\W+/g, '-')}-${r}`);
        const got = [];
        for (let i = 0; i < KEYS; i++)
          got.push(await runOne(data, { ...env, FAKE_LOG: log }, files[(i + r) % KEYS], configFile));
        return got;
      }),
    )
  ).flat();
  const seconds = (performance.now() - started) / 1000;
  const perKey = files.map(() => 0);
  if (existsSync(log))
    for (const line of readFileSync(log, 'utf8').split('\n').filter(Boolean)) {
      const argv = JSON.parse(line).argv;
      perKey[files.findIndex((f) => argv.includes(f))]++;
    }
  const remoteHits = outcomes.filter((o) => o.remote === 'hit').length;
  return { name, seconds, perKey, executions: perKey.reduce((a, b) => a + b, 0), remoteHits };
}

const mib = (n) => `${(n / 1024 / 1024).toFixed(2)} MiB`;
const remoteEnv = (url) => ({
  CACHEX_REMOTE_URL: url,
  CACHEX_REMOTE_TOKEN: TOKEN,
  CACHEX_REMOTE_TEAM: 'bench',
  CACHEX_REMOTE_SIGNING_KEY: KEY,
});

async function withServer(name, configFile, fresh = null) {
  const server = await startServer(join(work, `storage-${name}`));
  const counter = await startCounter(server.url);
  try {
    const result = await phase(name, remoteEnv(counter.url), configFile);
    const bytes = { up: counter.counts.up, down: counter.counts.down, requests: { ...counter.counts.requests } };
    let again = null;
    if (fresh) {
      counter.reset();
      again = await phase(fresh, remoteEnv(counter.url), configFile);
      again.bytes = { up: counter.counts.up, down: counter.counts.down, requests: { ...counter.counts.requests } };
    }
    return [{ ...result, bytes }, again];
  } finally {
    counter.stop();
    server.stop();
  }
}

try {
  console.log(
    `bench:remote: ${RUNNERS} runners × ${KEYS} keys, stand-in converter sleeping ${SLEEP} s, ${cpus().length} CPUs, node ${process.version}`,
  );
  const baseline = await phase('baseline (no remote)', { CACHEX_REMOTE_URL: '' }, join(work, 'lease-on.config.mjs'));
  const [on, fresh] = await withServer('lease on', join(work, 'lease-on.config.mjs'), 'fresh runners (lease on)');
  const [off] = await withServer('lease off', join(work, 'lease-off.config.mjs'));
  console.log('');
  for (const r of [baseline, on, off, fresh]) {
    console.log(`${r.name}`);
    console.log(`  executions per key: ${r.perKey.join(' ')}  (total ${r.executions} of ${RUNNERS * KEYS} runs)`);
    console.log(`  remote hits:        ${r.remoteHits}`);
    console.log(
      `  wall time:          ${r.seconds.toFixed(1)} s  (${(r.seconds / baseline.seconds).toFixed(2)} × baseline)`,
    );
    if (r.bytes)
      console.log(
        `  bytes up / down:    ${mib(r.bytes.up)} / ${mib(r.bytes.down)}  (requests ${Object.entries(r.bytes.requests)
          .map(([m, n]) => `${m} ${n}`)
          .join(', ')})`,
      );
  }
} finally {
  if (process.env.BENCH_KEEP !== '1') rmSync(work, { recursive: true, force: true });
  else console.log(`kept ${work}`);
}
