import { colourEnabled, inCi } from './colour.js';
import { LineState } from './line-state.js';

export { paint } from './colour.js';

/** Spinners only for a person at a terminal that can redraw a line: never in CI, through a pipe or on TERM=dumb. */
export function isInteractive(stream: NodeJS.WriteStream = process.stderr): boolean {
  return Boolean(stream.isTTY) && !inCi() && process.env.TERM !== 'dumb';
}

/** The process-wide colour decision for this stream (see colour.ts). */
export function colorEnabled(stream: NodeJS.WriteStream = process.stderr): boolean {
  return colourEnabled(stream);
}

/** A line cachex draws over the terminal's current line (the spinner), which task output must never lose to. */
export interface Overlay {
  /** The text to draw, at column 0 of an empty line. */
  render(): string;
}

type Write = NodeJS.WriteStream['write'];

/**
 * The terminal that cachex's TTY streams share. Every write to them passes
 * through here, so it is known whether the cursor stands at the start of an
 * empty line; the overlay is drawn only there and erased before any other
 * write, so a partial line (`Downloading... `) or a `\r` progress bar is never
 * overwritten, and the status line can start on a fresh line.
 */
class Terminal {
  private readonly line = new LineState();
  private readonly raw = new Map<NodeJS.WriteStream, Write>();
  private overlay: { stream: NodeJS.WriteStream; overlay: Overlay } | null = null;
  private shown = false;

  /** Starts following writes to `stream` when it is a terminal (idempotent). */
  watch(stream: NodeJS.WriteStream): void {
    if (!stream.isTTY || this.raw.has(stream)) return;
    const original = stream.write;
    this.raw.set(stream, original);
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const content = chunk.length > 0;
      if (content) this.erase();
      const ok = (original as (...args: unknown[]) => boolean).call(stream, chunk, ...rest);
      if (content) {
        this.line.feed(chunk);
        this.draw();
      }
      return ok;
    }) as Write;
  }

  get atLineStart(): boolean {
    return this.line.atLineStart;
  }

  /** "\n" when `stream` is a watched terminal whose cursor is not at the start of an empty line, else "". */
  freshLine(stream: NodeJS.WriteStream): string {
    return this.raw.has(stream) && !this.line.atLineStart ? '\n' : '';
  }

  get current(): Overlay | null {
    return this.overlay?.overlay ?? null;
  }

  setOverlay(stream: NodeJS.WriteStream, overlay: Overlay | null): void {
    this.erase();
    this.overlay = overlay && this.raw.has(stream) ? { stream, overlay } : null;
    this.draw();
  }

  /** Redraws the overlay (a new spinner frame), when the cursor is at a line start. */
  draw(): void {
    if (!this.overlay || !this.line.atLineStart) return;
    this.write(this.overlay.stream, `\r\u001b[2K${this.overlay.overlay.render()}`);
    this.shown = true;
  }

  private erase(): void {
    if (!this.shown || !this.overlay) return;
    this.shown = false;
    this.write(this.overlay.stream, '\r\u001b[2K');
  }

  private write(stream: NodeJS.WriteStream, text: string): void {
    this.raw.get(stream)!.call(stream, text);
  }
}

const terminal = new Terminal();

/** Follows stdout and stderr when they are terminals; the CLI calls this first thing. */
export function watchTerminal(): void {
  terminal.watch(process.stdout);
  terminal.watch(process.stderr);
}

export function setOverlay(overlay: Overlay | null, stream: NodeJS.WriteStream = process.stderr): void {
  watchTerminal();
  terminal.setOverlay(stream, overlay);
}

/** The overlay shown now (a spinner), so a passing one (a progress line) can give the line back to it. */
export function currentOverlay(): Overlay | null {
  return terminal.current;
}

export function redrawOverlay(): void {
  terminal.draw();
}

/**
 * What to write before a line of cachex's own (the status line, an error) so
 * it does not stick to task output that ended without a newline. Only on a
 * terminal: logs and pipes get the bytes as they were.
 */
export function freshLine(stream: NodeJS.WriteStream = process.stderr): string {
  return terminal.freshLine(stream);
}
