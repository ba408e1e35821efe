import { isInteractive } from './terminal.js';

interface Spinner {
  text: string;
  start(): Spinner;
  stop(): Spinner;
  clear(): Spinner;
  render(): Spinner;
}

/**
 * Shows that work is going on: an ora spinner with elapsed time on a TTY,
 * one plain line otherwise. Live task output passes through `wrap`, which
 * clears the spinner around each chunk so the two never garble each other.
 */
export class Progress {
  private spinner: Spinner | null = null;
  private timer: NodeJS.Timeout | null = null;
  private started = 0;

  constructor(private readonly enabled: boolean) {}

  async start(text: string): Promise<void> {
    if (!this.enabled) return;
    this.stop();
    // A terminal that reports no width (a bare pty) cannot redraw a spinner line: print plainly.
    if (!isInteractive(process.stderr) || !process.stderr.columns) {
      process.stderr.write(`${text}\n`);
      return;
    }
    const { default: ora } = await import('ora');
    this.started = Date.now();
    // We already decided this is an interactive terminal; ora's own check would also veto on an empty CI variable.
    const spinner = ora({ text, stream: process.stderr, discardStdin: false, isEnabled: true }) as unknown as Spinner;
    this.spinner = spinner.start();
    this.timer = setInterval(() => {
      spinner.text = `${text} ${((Date.now() - this.started) / 1000).toFixed(0)}s`;
    }, 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.spinner?.stop();
    this.spinner = null;
  }

  /** A writable that forwards to `stream` without tearing the spinner line. */
  wrap(stream: NodeJS.WriteStream): NodeJS.WritableStream {
    const write = (chunk: Buffer): boolean => {
      if (!this.spinner) return stream.write(chunk);
      this.spinner.clear();
      const ok = stream.write(chunk);
      this.spinner.render();
      return ok;
    };
    return { write } as unknown as NodeJS.WritableStream;
  }
}
