/** Spinners and colours only for a person at a terminal: never in CI or through a pipe. */
export function isInteractive(stream: NodeJS.WriteStream = process.stderr): boolean {
  const ci = process.env.CI;
  return Boolean(stream.isTTY) && !(ci && ci !== '0' && ci !== 'false');
}

/** NO_COLOR wins over a TTY; FORCE_COLOR wins over everything (https://no-color.org). */
export function colorEnabled(stream: NodeJS.WriteStream = process.stderr): boolean {
  const force = process.env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force !== 'false';
  if (process.env.NO_COLOR) return false;
  return isInteractive(stream);
}

const CODES = {
  green: [32, 39],
  yellow: [33, 39],
  red: [31, 39],
  dim: [2, 22],
  bold: [1, 22],
  cyan: [36, 39],
} as const;

export function paint(color: keyof typeof CODES, text: string, stream: NodeJS.WriteStream = process.stderr): string {
  if (!colorEnabled(stream)) return text;
  const [open, close] = CODES[color];
  return `\u001b[${open}m${text}\u001b[${close}m`;
}
