/**
 * verified.json, the stat stamps of an entry's outputs as last verified, asked
 * about in manifest order. It is written as one JSON object in that same order
 * (sealing and every rewrite list the outputs as the manifest does), so a hit
 * reads it front to back: each output's `"path":"stamp"` is compared where it
 * is in the text, with no parse into a table of 10 000 keys and no keyed
 * lookup per output (together a tenth of a 10 000-output hard-link restore).
 * Anything else — another order, escapes, a path missing, a damaged file —
 * falls back to JSON.parse and lookups, as before (pairs read intact before
 * damage further on still count: each is the stamp as it was written).
 */
export class VerifiedStamps {
  /** Where the next `"path":"stamp"` pair starts while the text is read in order; -1 once it is not. */
  private at: number;
  private table: Record<string, string> | null = null;

  constructor(private readonly text: string) {
    this.at = text.charCodeAt(0) === OPEN ? 1 : -1;
  }

  static none(): VerifiedStamps {
    return new VerifiedStamps('{}');
  }

  /** True when `stamp` is the one recorded for the output `rel`. */
  matches(rel: string, stamp: string): boolean {
    if (this.at >= 0) {
      const found = this.next(rel, stamp);
      if (found !== undefined) return found;
      this.at = -1;
    }
    return this.all()[rel] === stamp;
  }

  /**
   * Whether the pair at `at`, when it names `rel`, records `stamp`; undefined when it does not name it. `rel` must be
   * written as it is (no character JSON escapes): then the key's text is exactly what JSON.parse would read. The stamp
   * is digits and spaces (statStamp), so the same text between the quotes is the same string; a recorded stamp
   * written with escapes reads as different, which costs a re-hash, never a wrong trust.
   */
  private next(rel: string, stamp: string): boolean | undefined {
    const { text } = this;
    const keyAt = this.at + 1;
    const valueAt = keyAt + rel.length + 3;
    if (
      text.charCodeAt(this.at) !== QUOTE ||
      !text.startsWith(rel, keyAt) ||
      !text.startsWith('":"', keyAt + rel.length) ||
      NEEDS_ESCAPE.test(rel)
    )
      return undefined;
    const end = text.indexOf('"', valueAt);
    const after = end < 0 ? Number.NaN : text.charCodeAt(end + 1);
    if (after !== COMMA && after !== CLOSE) return undefined;
    this.at = after === COMMA ? end + 2 : -1;
    return end - valueAt === stamp.length && text.startsWith(stamp, valueAt);
  }

  /** Every recorded stamp, parsed (an unreadable file records none: every output is re-hashed). */
  all(): Record<string, string> {
    if (this.table === null) {
      try {
        const parsed: unknown = JSON.parse(this.text);
        this.table = parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, string>) : {};
      } catch {
        this.table = {};
      }
    }
    return this.table;
  }
}

const OPEN = 0x7b; // {
const CLOSE = 0x7d; // }
const QUOTE = 0x22; // "
const COMMA = 0x2c; // ,
/** What JSON.stringify writes other than as itself in a string: quote, backslash, control characters, lone surrogates. */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;
