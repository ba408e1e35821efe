import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { REPO } from './cli.js';

/**
 * The real servers the remote tier talks to, from npm (devDependencies),
 * each started on 127.0.0.1 with a free port and stopped by its PID.
 */
export interface RunningServer {
  url: string;
  pid: number;
  child: ChildProcess;
  /** The last 64 KiB (at least) of what it printed, for diagnosing a failed test. */
  log(): string;
  stop(): Promise<void>;
  kill(): void;
}

export const API_TOKEN = 'tok';
export const S3_KEY = 'S3RVER';
/** What a server's log keeps once it is ready (it grows by a line per request). */
const LOG_TAIL = 64 * 1024;

function start(args: string[], env: NodeJS.ProcessEnv, ready: RegExp, what: string): Promise<RunningServer> {
  // --no-opt: a test server answers a few hundred requests; TurboFan compiling its start-up costs a fifth of its CPU.
  const child = spawn(process.execPath, ['--no-opt', ...args], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  let isReady = false;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what} did not start within 45 s:\n${text}`));
    }, 45_000);
    const onData = (d: Buffer) => {
      text += d.toString('utf8');
      // Servers log every request (LOG_LEVEL=info prints the ready line): once ready, keep a bounded tail
      // and stop matching, or each chunk rescans everything printed so far.
      if (isReady) {
        if (text.length > 2 * LOG_TAIL) text = text.slice(-LOG_TAIL);
        return;
      }
      const m = ready.exec(text);
      if (!m) return;
      isReady = true;
      clearTimeout(timer);
      const pid = child.pid as number;
      resolve({
        url: m[1].startsWith('http') ? m[1] : `http://${m[1]}`,
        pid,
        child,
        log: () => text,
        kill: () => {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* gone */
          }
        },
        stop: async () => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          try {
            process.kill(pid, 'SIGTERM');
          } catch {
            return;
          }
          const force = setTimeout(() => {
            try {
              process.kill(pid, 'SIGKILL');
            } catch {
              /* gone */
            }
          }, 5000);
          await exited;
          clearTimeout(force);
        },
      });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code}) before it was ready:\n${text}`));
    });
  });
}

export interface ApiServerOptions {
  /** READ_ONLY=true: a twin that refuses uploads. */
  readOnly?: boolean;
  /** Without TURBO_REMOTE_CACHE_SIGNATURE_KEY the server drops x-artifact-tag. */
  keepsTags?: boolean;
  /** Store in S3 (s3rver) instead of a local folder. */
  s3Endpoint?: string;
}

/** turborepo-remote-cache, storing under `dir/remote` (or in the s3rver bucket `cachex`). */
export function startApiServer(dir: string, options: ApiServerOptions = {}): Promise<RunningServer> {
  const env: NodeJS.ProcessEnv = {
    HOST: '127.0.0.1',
    PORT: '0',
    TURBO_TOKEN: API_TOKEN,
    LOG_LEVEL: 'info',
  };
  if (options.s3Endpoint)
    Object.assign(env, {
      STORAGE_PROVIDER: 's3',
      STORAGE_PATH: 'cachex',
      S3_ENDPOINT: options.s3Endpoint,
      S3_ACCESS_KEY: S3_KEY,
      S3_SECRET_KEY: S3_KEY,
      S3_REGION: 'us-east-1',
    });
  else
    Object.assign(env, {
      STORAGE_PROVIDER: 'local',
      STORAGE_PATH: path.join(dir, 'remote'),
      STORAGE_PATH_USE_TMP_FOLDER: 'false',
    });
  if (options.keepsTags !== false) env.TURBO_REMOTE_CACHE_SIGNATURE_KEY = 'on';
  if (options.readOnly) env.READ_ONLY = 'true';
  const cli = path.join(REPO, 'node_modules', 'turborepo-remote-cache', 'dist', 'cli.js');
  return start([cli], env, /Server listening at (http:\/\/127\.0\.0\.1:\d+)/, 'turborepo-remote-cache');
}

/** s3rver with the bucket `cachex`, storing under `dir/s3`. */
export function startS3rver(dir: string): Promise<RunningServer> {
  mkdirSync(path.join(dir, 's3'), { recursive: true });
  const bin = path.join(REPO, 'node_modules', 's3rver', 'bin', 's3rver.js');
  const args = [bin, '-d', path.join(dir, 's3'), '-a', '127.0.0.1', '-p', '0', '--configure-bucket', 'cachex'];
  return start(args, {}, /listening on (127\.0\.0\.1:\d+)/, 's3rver');
}

/** test/fixtures/fault-proxy.mjs before `target`, with its control endpoints. */
export async function startFaultProxy(target: string) {
  const script = path.join(REPO, 'test', 'fixtures', 'fault-proxy.mjs');
  const server = await start(
    [script, target],
    {},
    /fault-proxy listening on (http:\/\/127\.0\.0\.1:\d+)/,
    'fault-proxy',
  );
  // One retry: a kept-alive control connection the proxy closed meanwhile fails once ("other side closed").
  const control = async (where: string, init?: RequestInit): Promise<string> => {
    try {
      return await (await fetch(`${server.url}${where}`, init)).text();
    } catch {
      return (await fetch(`${server.url}${where}`, init)).text();
    }
  };
  const post = async (where: string, body: unknown) => {
    await control(where, { method: 'POST', body: JSON.stringify(body) });
  };
  return {
    ...server,
    fault: (fault: Record<string, unknown>) => post('/__fault', fault),
    reset: () => post('/__reset', {}),
    counts: async (): Promise<Record<string, number>> => JSON.parse(await control('/__counts')),
    /** Milliseconds each hung request was held open before its client gave up (mode hang). */
    held: async (): Promise<number[]> => JSON.parse(await control('/__held')),
  };
}
