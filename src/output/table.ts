import { colorEnabled, isInteractive } from './terminal.js';

export type Align = 'left' | 'right';

export interface TableSpec {
  head: string[];
  rows: string[][];
  /** Per column; numbers (sizes, counts) read best right-aligned. */
  align?: Align[];
}

/** No borders, two spaces between columns: lines that grep, cut and awk can take apart. */
const PLAIN_CHARS = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '  ',
};

/**
 * Renders a table for stdout: boxed (and coloured headings when colour is on)
 * for a person at a terminal, plain aligned columns in CI and through a pipe.
 * cli-table3 is loaded here, only by the commands that print tables.
 */
export async function renderTable(spec: TableSpec, stream: NodeJS.WriteStream = process.stdout): Promise<string> {
  const { default: Table } = await import('cli-table3');
  const colour = colorEnabled(stream);
  const style = colour ? {} : { head: [] as string[], border: [] as string[] };
  const options = isInteractive(stream)
    ? { head: spec.head, style: { ...style, compact: true }, colAligns: spec.align }
    : {
        head: spec.head,
        chars: PLAIN_CHARS,
        style: { ...style, 'padding-left': 0, 'padding-right': 0 },
        colAligns: spec.align,
      };
  const table = new Table(options);
  table.push(...spec.rows);
  return `${table.toString()}\n`;
}

/** A timestamp for a table cell: local time to the minute, sortable by eye. */
export function formatTimestamp(date: Date | null): string {
  if (!date || Number.isNaN(date.getTime())) return '-';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
