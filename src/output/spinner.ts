import { paint } from './colour.js';
import type { Overlay } from './terminal.js';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
/** The Linux console's font has no braille. */
const ASCII_FRAMES = ['-', '\\', '|', '/'];

export const FRAME_MS = 80;

/** One spinner line: a frame, the text and, after a second, the elapsed time. */
export class Spinner implements Overlay {
  private readonly started = Date.now();
  private frame = 0;
  private readonly frames = process.env.TERM === 'linux' ? ASCII_FRAMES : FRAMES;

  constructor(
    private readonly text: string,
    private readonly stream: NodeJS.WriteStream,
  ) {}

  render(): string {
    const seconds = Math.floor((Date.now() - this.started) / 1000);
    const text = seconds >= 1 ? `${this.text} ${seconds}s` : this.text;
    const symbol = this.frames[this.frame++ % this.frames.length];
    // A line that wraps could not be erased with one carriage return: keep it inside the width.
    const room = Math.max(0, (this.stream.columns ?? 80) - 3);
    const shown = [...text].length > room ? `${[...text].slice(0, Math.max(0, room - 1)).join('')}…` : text;
    return `${paint('cyan', symbol, this.stream)} ${shown}`;
  }
}
