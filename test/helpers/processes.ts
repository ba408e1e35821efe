import { readdirSync, readFileSync } from 'node:fs';

/** Live processes (not this one, not zombies) whose command line mentions `text`, e.g. a workspace path (Linux /proc). */
export function processesMentioning(text: string): number[] {
  const found: number[] = [];
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return found; // no /proc: nothing to find
  }
  for (const name of names) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (!readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(text)) continue;
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z') found.push(Number(name));
    } catch {
      /* gone */
    }
  }
  return found;
}

/**
 * SIGKILLs every process whose command line mentions `text` and waits (up to 2 s) until they are gone. A stand-in
 * converter runs in a process group of its own and outlives a cachex killed mid-run: left alone, it writes its
 * outputs and log into the workspace seconds after the test removed it.
 */
export function stopProcessesMentioning(text: string): void {
  const pids = processesMentioning(text);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let waited = 0; pids.length && waited < 2_000; waited += 10) {
    if (processesMentioning(text).length === 0) return;
    Atomics.wait(pause, 0, 0, 10);
  }
}
