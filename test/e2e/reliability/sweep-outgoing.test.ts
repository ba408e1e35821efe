/**
 * Folders on their way out of cache/ (`trash-` of a --force replace,
 * `corrupt-` and `pruned-` set aside) are judged by their key's lock, as
 * staging folders are: with no run holding it they are leftovers at once (not
 * after a minute), and while a run holds it they are left alone.
 */
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Workspace } from '../../helpers/cli.js';
import { cx, entryDirs, list, stagingDirs, startGroup, verifyJson, waitFor } from '../../helpers/faults.js';

let ws: Workspace;
let entry: string;
let key: string;
const tmp = () => path.join(ws.data, 'tmp');

beforeEach(() => {
  ws = new Workspace();
  ws.samplePcd('in/a.pcd');
  expect(ws.run(cx(['run', 'potree', '--file', 'in/a.pcd'])).code).toBe(0);
  [entry] = entryDirs(ws.data);
  key = path.basename(entry);
  mkdirSync(tmp(), { recursive: true });
});
afterEach(() => ws.cleanup());

describe('verify --fix sweeps outgoing folders of dead runs at once', () => {
  it('puts back the swapped-out entry of a --force run that died between its two renames', () => {
    const trash = path.join(tmp(), `trash-${key.slice(0, 12)}-deadbeef0000`);
    cpSync(entry, trash, { recursive: true });
    rmSync(entry, { recursive: true });
    const fixed = verifyJson(ws, ['--fix'])!;
    expect(fixed.code).toBe(0);
    expect(list(tmp())).toEqual([]);
    const hit = ws.run(cx(['run', 'potree', '--file', 'in/a.pcd']));
    expect(hit.stderr).toMatch(/^hit potree /m);
    expect(ws.converterRuns()).toBe(1);
  });

  it.each(['trash', 'corrupt', 'pruned'])('removes a fresh %s- folder whose key no run holds', (prefix) => {
    const aside = path.join(tmp(), `${prefix}-${key.slice(0, 12)}-deadbeef`);
    cpSync(entry, aside, { recursive: true });
    const fixed = verifyJson(ws, ['--fix'])!;
    expect(fixed.code).toBe(0);
    expect(list(tmp())).toEqual([]);
    expect(entryDirs(ws.data)).toEqual([entry]);
  });

  it('removes a fresh init- folder (a run killed while creating its staging folder) whose key no run holds', () => {
    const init = path.join(tmp(), `init-${key.slice(0, 12)}-99999-deadbeef`);
    mkdirSync(path.join(init, 'out'), { recursive: true });
    const fixed = verifyJson(ws, ['--fix'])!;
    expect(fixed.code).toBe(0);
    expect(list(tmp())).toEqual([]);
  });

  it('keeps a trash folder while a live run holds its key, and sweeps it once the run is gone', async () => {
    const run = startGroup(ws, cx(['run', 'potree', '--file', 'in/a.pcd', '--force']), { FAKE_SLEEP: '30' });
    try {
      await waitFor(() => stagingDirs(ws).length === 1, 30_000, 'the forced run to start staging');
      const trash = path.join(tmp(), `trash-${key.slice(0, 12)}-0123456789ab`);
      mkdirSync(trash);
      writeFileSync(path.join(trash, 'partial'), 'x');
      verifyJson(ws, ['--fix']);
      expect(existsSync(trash)).toBe(true);
    } finally {
      run.killGroup('SIGKILL');
      await run.done;
    }
    // The run is dead: its staging folder, its lock and the trash go in one sweep.
    expect(verifyJson(ws, ['--fix'])!.code).toBe(0);
    expect(list(tmp())).toEqual([]);
    expect(entryDirs(ws.data)).toEqual([entry]);
  });
});
