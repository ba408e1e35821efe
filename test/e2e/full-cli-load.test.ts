import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO, Workspace } from '../helpers/cli.js';

/**
 * The full CLI (dist/cli/full-cli.cjs, see scripts/build-cli.mjs) runs only what a command
 * reaches: a local miss and the commands that are not a hit load none of the remote tier's
 * network builtins nor the result codecs' zlib (an ES-module bundle loaded them all at start).
 */

const LOG_BUILTINS = path.join(REPO, 'test', 'fixtures', 'log-builtins.cjs');
const REMOTE_ONLY = ['http', 'https', 'tls', 'zlib'];

let ws: Workspace;
beforeEach(() => {
  ws = new Workspace('cachex-fullload-');
  ws.config(`import { defineConfig } from 'cachex';
export default defineConfig({
  tasks: { hello: { params: { n: { type: 'number', default: 1 } }, command: ['sh', '-c', 'echo "hi $0"', '{n}'] } },
});
`);
});
afterEach(() => ws.cleanup());

let logs = 0;
function builtins(args: string[]): { stdout: string; stderr: string; code: number | null; loaded: string[] } {
  const log = ws.path(`builtins-${++logs}.log`);
  const r = ws.run(args, { env: { LOG_BUILTINS: log, NODE_OPTIONS: `--require ${LOG_BUILTINS}` } });
  return { ...r, loaded: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

describe('the full CLI loads what the command needs', () => {
  it('a local miss, ls, verify, why and prune load no network builtins and no zlib', () => {
    const miss = builtins(['run', 'hello', '--n', '2']);
    expect(miss.code, miss.stderr).toBe(0);
    expect(miss.stdout).toBe('hi 2\n');
    expect(miss.stderr).toMatch(/^miss hello /m);
    expect(miss.loaded).toContain('child_process'); // the observer sees the run's own builtins
    expect(miss.loaded.filter((m) => REMOTE_ONLY.includes(m))).toEqual([]);
    for (const args of [['ls'], ['verify'], ['why', 'hello'], ['prune', '--older-than', '30d', '--dry-run']]) {
      const r = builtins(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(
        r.loaded.filter((m) => REMOTE_ONLY.includes(m)),
        args.join(' '),
      ).toEqual([]);
    }
  });
});
