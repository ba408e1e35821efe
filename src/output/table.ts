import { colorEnabled, isInteractive } from './terminal.js';

export type Align = 'left' | 'right';

export interface TableSpec {
  head: string[];
  rows: string[][];
  /** Per column; numbers (sizes, counts) read best right-aligned. */
  align?: Align[];
}

const ANSI = /\x1b\[[0-9;]*m/g;
const visibleLength = (text: string) => (text.includes('\x1b') ? text.replace(ANSI, '').length : text.length);

function pad(text: string, width: number, align: Align): string {
  const fill = ' '.repeat(Math.max(0, width - visibleLength(text)));
  return align === 'right' ? fill + text : text + fill;
}

/**
 * Renders a table for stdout: boxed (and coloured headings when colour is on)
 * for a person at a terminal, plain aligned columns in CI and through a pipe
 * (lines that grep, cut and awk can take apart). One pass for the widths and
 * one for the lines, so 10 000 rows take milliseconds; cli-table3's layout
 * was quadratic in the number of rows (7.4 s for 10 000). The look is its
 * compact style.
 */
export async function renderTable(spec: TableSpec, stream: NodeJS.WriteStream = process.stdout): Promise<string> {
  const columns = spec.head.length;
  const widths = spec.head.map(visibleLength);
  // Each cell measured once, for the widths and again for its padding (70 000 cells in a 10 000-row ls).
  const lengths = new Uint32Array(spec.rows.length * columns);
  for (let r = 0; r < spec.rows.length; r++) {
    const row = spec.rows[r];
    for (let c = 0; c < columns; c++) {
      const length = visibleLength(row[c] ?? '');
      lengths[r * columns + c] = length;
      if (length > widths[c]) widths[c] = length;
    }
  }
  const align = (c: number): Align => spec.align?.[c] ?? 'left';
  if (!isInteractive(stream)) return plainTable(spec, widths, lengths);
  const colour = colorEnabled(stream);
  const grey = (s: string) => (colour ? `\x1b[90m${s}\x1b[39m` : s);
  const red = (s: string) => (colour ? `\x1b[31m${s}\x1b[39m` : s);
  const rule = (left: string, mid: string, right: string) =>
    grey(`${left}${widths.map((w) => '─'.repeat(w + 2)).join(mid)}${right}`);
  const bar = grey('│');
  const line = (cells: string[], paint: (s: string) => string = (s) => s) =>
    `${bar}${widths.map((w, c) => ` ${pad(paint(cells[c] ?? ''), w, align(c))} `).join(bar)}${bar}`;
  const lines = [rule('┌', '┬', '┐'), line(spec.head, red), rule('├', '┼', '┤'), ...spec.rows.map((r) => line(r))];
  lines.push(rule('└', '┴', '┘'));
  return `${lines.join('\n')}\n`;
}

/** Plain aligned columns, two spaces apart, built as one string: no array per row or cell (10 000 rows, 70 000 cells). */
function plainTable(spec: TableSpec, widths: number[], lengths: Uint32Array): string {
  const columns = widths.length;
  const spaces = ' '.repeat(widths.reduce((a, b) => Math.max(a, b), 0));
  const right = widths.map((_, c) => spec.align?.[c] === 'right');
  let out = '';
  const cell = (text: string, length: number, c: number) => {
    const fill = spaces.slice(0, Math.max(0, widths[c] - length));
    if (c) out += '  ';
    out += right[c] ? fill + text : text + fill;
  };
  for (let c = 0; c < columns; c++) cell(spec.head[c], visibleLength(spec.head[c]), c);
  out += '\n';
  for (let r = 0; r < spec.rows.length; r++) {
    const row = spec.rows[r];
    for (let c = 0; c < columns; c++) cell(row[c] ?? '', lengths[r * columns + c], c);
    out += '\n';
  }
  return out;
}

const QUARTER_HOUR_MS = 15 * 60_000;
const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

/**
 * Table timestamps: local time to the minute, sortable by eye. Each local-time getter looks the zone up (five per
 * cell: 76 ms for a 10 000-row `ls` in Europe/Berlin), so a formatter asks for the offset once per quarter hour and
 * reads the fields in UTC from the shifted time. Zones change offset only at quarter hours of UTC time (offsets and
 * the local times of changes are whole quarter or half hours), so a quarter hour has one offset. One formatter per
 * table: its offsets are those of the zone when it was made (a `process.env.TZ` read per cell cost as much again).
 */
export function timestampFormatter(): (date: Date | null) => string {
  const byQuarter = new Map<number, number>();
  return (date) => {
    const ms = date?.getTime() ?? Number.NaN;
    if (Number.isNaN(ms)) return '-';
    const quarter = Math.floor(ms / QUARTER_HOUR_MS);
    let offset = byQuarter.get(quarter);
    if (offset === undefined) byQuarter.set(quarter, (offset = date!.getTimezoneOffset()));
    const local = new Date(ms - offset * 60_000);
    return `${local.getUTCFullYear()}-${pad2(local.getUTCMonth() + 1)}-${pad2(local.getUTCDate())} ${pad2(local.getUTCHours())}:${pad2(local.getUTCMinutes())}`;
  };
}

/** One timestamp for a table cell (a table of many makes one timestampFormatter). */
export function formatTimestamp(date: Date | null): string {
  return timestampFormatter()(date);
}
