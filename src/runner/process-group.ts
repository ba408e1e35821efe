import { readFileSync, readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const POLL_MS = 25;
/** After SIGKILL the kernel needs a moment to take the processes down. */
const KILL_SETTLE_MS = 1_000;

/** Sends a signal to every process of a group; false when the group is gone. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether any live process is left in the group. On Linux this reads /proc,
 * because killed children of a dead parent wait as zombies for init to reap
 * them, and kill(-pgid, 0) still counts those.
 */
export function groupAlive(pgid: number): boolean {
  if (process.platform !== 'linux') return signalGroup(pgid, 0);
  let pids: string[];
  try {
    pids = readdirSync('/proc');
  } catch {
    return signalGroup(pgid, 0);
  }
  for (const pid of pids) {
    if (pid.charCodeAt(0) > 57) continue; // not a number
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    } catch {
      continue; // gone meanwhile
    }
    // Fields after the command name (which may hold spaces and parentheses): state ppid pgrp …
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') return true;
  }
  return false;
}

async function waitGone(pgid: number, untilMs: number): Promise<boolean> {
  for (;;) {
    if (!groupAlive(pgid)) return true;
    if (Date.now() >= untilMs) return false;
    await sleep(POLL_MS);
  }
}

/**
 * Stops a whole process group as Docker and Bazel's process wrapper do: the
 * signal to every process of it, SIGKILL to whatever is left after the grace
 * period. Resolves once no process of the group is left (or, should one
 * survive SIGKILL, a second later).
 */
export async function stopGroup(pgid: number, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  signalGroup(pgid, signal);
  if (signal !== 'SIGKILL' && (await waitGone(pgid, Date.now() + graceMs))) return;
  signalGroup(pgid, 'SIGKILL');
  await waitGone(pgid, Date.now() + KILL_SETTLE_MS);
}
