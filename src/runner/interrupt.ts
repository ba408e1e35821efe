/**
 * Ctrl-C or a CI timeout (SIGINT, SIGTERM, SIGHUP) during a miss. Without
 * this, Node dies at once: the task's child may run on into a staging folder
 * nobody removes. With it, the task is stopped, the staging folder removed and
 * the key's lock released, and then the signal ends the process as it would
 * have (exit 130/143), unless the program has handlers of its own.
 */
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** How long a task may take to stop after the signal before it is killed. */
const GRACE_MS = 3_000;

type Cancel = (signal: NodeJS.Signals) => void;

/** Listeners that signal-exit (used by proper-lockfile and execa) adds; they re-raise when alone. */
function signalExitListeners(): number {
  // v3 keeps its emitter on process, v4 on globalThis; each counts its loaded instances.
  const v3 = (process as unknown as Record<string, { count?: unknown } | undefined>).__signal_exit_emitter__;
  const v4 = (globalThis as unknown as Record<symbol, { count?: unknown } | undefined>)[Symbol.for('signal-exit emitter')];
  let count = 0;
  for (const emitter of [v3, v4]) {
    if (emitter && typeof emitter.count === 'number') count += emitter.count;
  }
  return count;
}

export class Interrupt {
  /** The signal received, if any. */
  signal: NodeJS.Signals | null = null;
  /** Whether the process would have ended on it (no handlers but ours and signal-exit's). */
  private wouldExit = false;
  private readonly cancels = new Set<Cancel>();
  private readonly listener = (signal: NodeJS.Signals): void => {
    const first = this.signal === null;
    if (first) {
      this.signal = signal;
      this.wouldExit = process.listenerCount(signal) - 1 <= signalExitListeners();
    }
    // A second signal means "now": no grace period.
    for (const cancel of this.cancels) cancel(first ? signal : 'SIGKILL');
  };

  install(): this {
    for (const signal of SIGNALS) process.on(signal, this.listener);
    return this;
  }

  uninstall(): void {
    for (const signal of SIGNALS) process.removeListener(signal, this.listener);
    this.cancels.clear();
  }

  /** A runner says how to stop its work; returns the unregister function. */
  onCancel(cancel: Cancel): () => void {
    this.cancels.add(cancel);
    if (this.signal) cancel(this.signal);
    return () => this.cancels.delete(cancel);
  }

  /** After cleaning up: lets the signal end the process, as it would have without us. */
  reraise(): void {
    this.uninstall();
    if (!this.signal || !this.wouldExit) return;
    process.kill(process.pid, this.signal);
    // signal-exit's listeners handle it on the next turn of the event loop: keep the loop alive until then.
    setTimeout(() => undefined, 1_000);
  }
}

/** Stops a child process: the signal first, SIGKILL if it is still there after the grace period. */
export function stopChild(child: { kill(signal?: NodeJS.Signals): boolean; exitCode: number | null; signalCode: string | null }, signal: NodeJS.Signals): void {
  child.kill(signal);
  if (signal === 'SIGKILL') return;
  setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }, GRACE_MS).unref();
}
