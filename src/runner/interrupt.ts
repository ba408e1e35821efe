/**
 * Ctrl-C or a CI timeout (SIGINT, SIGTERM, SIGHUP) during a miss. Without
 * this, Node dies at once: the task's child may run on into a staging folder
 * nobody removes. With it, the task is stopped, the staging folder removed and
 * the key's lock released, and then the signal ends the process as it would
 * have (exit 130/143). A program with signal handlers of its own keeps them:
 * cachex then only stops the task (its whole process group).
 */
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * How long a task may take to stop after the signal before it is killed:
 * time for a converter to remove its own temporary files, short enough for a
 * CI timeout's own grace period (Docker's is 10 s, Kubernetes' 30 s).
 */
export const GRACE_MS = 3_000;

type Cancel = (signal: NodeJS.Signals) => void;

/** Listeners that signal-exit (used by proper-lockfile and execa) adds; they re-raise when alone. */
function signalExitListeners(): number {
  // v3 keeps its emitter on process, v4 on globalThis; each counts its loaded instances.
  const v3 = (process as unknown as Record<string, { count?: unknown } | undefined>).__signal_exit_emitter__;
  const v4 = (globalThis as unknown as Record<symbol, { count?: unknown } | undefined>)[
    Symbol.for('signal-exit emitter')
  ];
  let count = 0;
  for (const emitter of [v3, v4]) {
    if (emitter && typeof emitter.count === 'number') count += emitter.count;
  }
  return count;
}

export class Interrupt {
  /** The signal that stopped the run, if any. */
  signal: NodeJS.Signals | null = null;
  /** Whether the process would have ended on it (no handlers but ours and signal-exit's). */
  private wouldExit = false;
  private readonly cancels = new Set<Cancel>();
  /** While the task runs: what to remove when it cannot be stopped gracefully (a function in this thread). */
  private abandon: (() => void) | null = null;
  private readonly listener = (signal: NodeJS.Signals): void => {
    if (this.signal) {
      for (const cancel of this.cancels) cancel('SIGKILL'); // a second signal means "now"
      return;
    }
    const wouldExit = process.listenerCount(signal) - 1 <= signalExitListeners();
    if (this.cancels.size > 0) {
      // A worker or child process: stop it; the run then ends as interrupted and cleans up.
      this.signal = signal;
      this.wouldExit = wouldExit;
      for (const cancel of this.cancels) cancel(signal);
    } else if (wouldExit && this.abandon) {
      // Nothing to stop gracefully: remove the staging folder and end now, as Node would have.
      this.abandon();
      this.signal = signal;
      this.wouldExit = true;
      this.reraise();
    } else if (wouldExit) {
      // Storing or releasing: finish that (it is quick), then end with the signal.
      this.signal = signal;
      this.wouldExit = true;
    }
    // Otherwise the program handles the signal itself: leave the run alone.
  };

  /** From the start of a miss; `abandon` removes its staging folder. */
  install(abandon: () => void): this {
    this.abandon = abandon;
    for (const signal of SIGNALS) process.on(signal, this.listener);
    return this;
  }

  /** The task has finished: from now on a signal waits for the store step and the lock release. */
  finishing(): void {
    this.abandon = null;
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
    for (const signal of SIGNALS) process.removeListener(signal, this.listener);
    this.abandon = null;
    this.cancels.clear();
    if (!this.signal || !this.wouldExit) return;
    process.kill(process.pid, this.signal);
    // signal-exit's listeners handle it on the next turn of the event loop: keep the loop alive until then.
    setTimeout(() => undefined, 1_000);
  }
}
