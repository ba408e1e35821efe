import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Workspace } from '../helpers/cli.js';

let ws: Workspace;
beforeEach(() => {
  ws = new Workspace();
  // `slow` prints a first line, pauses, then floods: a reader that stops after line 1 closes the pipe mid-run.
  ws.config(`import { defineConfig } from 'cachex';
export default defineConfig({ tasks: {
  slow: { command: ['sh', '-c', 'echo "step 1"; sleep 1; i=0; while [ $i -lt 3000 ]; do echo "line $i"; i=$((i+1)); done; exit 3'], cacheFailures: true },
}});
`);
});
afterEach(() => ws.cleanup());

/** Every file (not folder) left under a data-folder area. */
function filesUnder(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

describe('a closed pipe on stdout', () => {
  it('does not throw the run away: it is stored, leaves nothing behind and exits with the task code', async () => {
    const { child, done } = ws.start(['run', 'slow']);
    // The reader (like `grep -q "step 1"` or `head -1`) goes away after the first line.
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.stdout.destroy();
    const result = await done;
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toMatch(/^miss slow [0-9a-f]{12} \(ran .*, stored /m);
    expect(filesUnder(path.join(ws.data, 'tmp'))).toEqual([]);
    expect(filesUnder(path.join(ws.data, 'locks'))).toEqual([]);
    const again = ws.run(['run', 'slow']);
    expect(again.stderr).toMatch(/^hit slow /m);
    expect(again.code).toBe(3);
    expect(again.stdout.split('\n').filter(Boolean)).toHaveLength(3001); // the whole output was captured
  });

  it('still ends `cachex ls | head` quietly with exit 0', async () => {
    for (let i = 0; i < 3; i++) ws.run(['run', 'slow', '--force']);
    const { child, done } = ws.start(['ls']);
    child.stdout.destroy();
    const result = await done;
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
  });
});
