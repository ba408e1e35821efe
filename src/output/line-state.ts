/**
 * Where a terminal's cursor stands after the bytes written to it so far: at
 * the start of an empty line, at column 0 of a line that still shows text
 * (after a `\r` progress update), or in the middle of a line. Escape sequences
 * are followed just enough to tell these apart; they may span writes.
 */
export type LinePosition = 'line-start' | 'column-0' | 'mid-line';

type Escape = 'none' | 'esc' | 'csi' | 'osc' | 'osc-esc';

const ESC = 0x1b;
const BEL = 0x07;

export class LineState {
  position: LinePosition = 'line-start';
  private escape: Escape = 'none';
  private params = '';

  /** Takes the bytes (or text) just written. */
  feed(chunk: string | Uint8Array): void {
    if (typeof chunk === 'string') {
      for (let i = 0; i < chunk.length; i++) this.step(chunk.charCodeAt(i));
    } else {
      for (const byte of chunk) this.step(byte);
    }
  }

  get atLineStart(): boolean {
    return this.position === 'line-start';
  }

  private toColumn0(): void {
    if (this.position !== 'line-start') this.position = 'column-0';
  }

  private step(c: number): void {
    switch (this.escape) {
      case 'esc':
        this.escape = c === 0x5b ? 'csi' : c === 0x5d ? 'osc' : 'none';
        this.params = '';
        return;
      case 'csi':
        if (c >= 0x40 && c <= 0x7e) {
          this.escape = 'none';
          this.csi(String.fromCharCode(c));
        } else this.params += String.fromCharCode(c);
        return;
      case 'osc':
        if (c === BEL) this.escape = 'none';
        else if (c === ESC) this.escape = 'osc-esc';
        return;
      case 'osc-esc':
        this.escape = c === 0x5c ? 'none' : 'osc';
        return;
    }
    if (c === ESC) this.escape = 'esc';
    else if (c === 0x0a) this.position = 'line-start';
    else if (c === 0x0d) this.toColumn0();
    else if (c >= 0x20 || c === 0x08 || c === 0x09) this.position = 'mid-line';
    // Other control characters (a bell) move nothing.
  }

  /** Cursor to column 1 (`ESC[G`, `ESC[1G`) and erasing a line from column 0 (`ESC[K`, `ESC[2K`). */
  private csi(final: string): void {
    const n = this.params === '' ? 1 : Number(this.params);
    if (final === 'G' && n <= 1) this.toColumn0();
    else if (final === 'K' && this.position === 'column-0' && (this.params === '' || n === 0 || n === 2))
      this.position = 'line-start';
  }
}
