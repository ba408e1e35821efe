import { FRAME_MS, Spinner } from './spinner.js';
import { freshLine, isInteractive, redrawOverlay, setOverlay } from './terminal.js';

/**
 * Shows that work is going on: a spinner with elapsed time on a terminal, one
 * plain line otherwise. The spinner is an overlay of the terminal (see
 * terminal.ts): drawn only at the start of an empty line and erased before
 * any task output, so it never overwrites what a task printed.
 */
export class Progress {
  private timer: NodeJS.Timeout | null = null;
  private stream: NodeJS.WriteStream = process.stderr;

  constructor(private readonly enabled: boolean) {}

  async start(text: string): Promise<void> {
    if (!this.enabled) return;
    this.stop();
    // A terminal that reports no width (a bare pty) cannot redraw a spinner line: print plainly.
    if (!isInteractive(this.stream) || !this.stream.columns) {
      this.stream.write(`${freshLine(this.stream)}${text}\n`);
      return;
    }
    setOverlay(new Spinner(text, this.stream), this.stream);
    this.timer = setInterval(redrawOverlay, FRAME_MS);
    this.timer.unref();
  }

  stop(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = null;
    setOverlay(null, this.stream);
  }

  /** A line of cachex's own while the spinner may be shown (it is erased first, and redrawn after). */
  print(line: string): void {
    this.stream.write(`${freshLine(this.stream)}${line}\n`);
  }

  /**
   * Where live task output goes. The terminal itself keeps the spinner out of
   * the way, so this is the stream; kept so callers need not know that.
   */
  wrap(stream: NodeJS.WriteStream): NodeJS.WritableStream {
    return stream;
  }
}
