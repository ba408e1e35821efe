import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { heldCount, heldFd, releaseAll, sweepHeldAppends } from '../../src/store/held-appends.js';

const dir = mkdtempSync(path.join(tmpdir(), 'cachex-held-'));
afterAll(() => {
  vi.useRealTimers();
  sweepHeldAppends(true);
  rmSync(dir, { recursive: true, force: true });
});

describe('held appends', () => {
  it('hold files without an idle timer while sweeping is off, and sweep them once it is on again', () => {
    releaseAll(); // files and a sweep other tests in this process may have left
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    sweepHeldAppends(false);
    const file = path.join(dir, 'usage.log');
    const fd = heldFd(file, 'a', () => openSync(file, 'a'));
    expect(heldFd(file, 'a', () => -1)).toBe(fd);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(5000);
    expect(heldCount()).toBe(1);

    sweepHeldAppends(true);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(2000);
    expect(heldCount()).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    expect(() => closeSync(fd)).toThrow(); // closed by the sweep
  });
});
