import { spawnSync } from 'node:child_process';
import { CLI, type Workspace } from './cli.js';

/** util-linux `script` gives the CLI a real pseudo-terminal. */
export const hasScript = spawnSync('script', ['--version']).status === 0;

const quote = (a: string) => `'${a.replace(/'/g, "'\\''")}'`;

/**
 * Runs the built CLI on a pseudo-terminal, as a person at a terminal would,
 * and returns the raw bytes the terminal received (stdout and stderr both).
 * A fresh pty has no size; a real terminal does, so one is set with stty.
 */
export function runOnTty(
  ws: Workspace,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  options: { cols?: number } = {},
): { output: string; code: number | null } {
  const command = [process.execPath, CLI, ...args].map(quote).join(' ');
  const size = options.cols === 0 ? '' : `stty cols ${options.cols ?? 100} rows 30; `;
  // A person's terminal: no CI variable at all, colours allowed unless the test says otherwise.
  const full: NodeJS.ProcessEnv = { ...ws.env, TERM: 'xterm-256color', ...env };
  for (const name of ['CI', 'NO_COLOR', 'COLORTERM', 'TMUX']) if (!(name in env)) delete full[name];
  const result = spawnSync('script', ['-qec', `${size}${command}`, '/dev/null'], {
    cwd: ws.dir,
    env: full,
    encoding: 'utf8',
    timeout: 90_000,
  });
  return { output: result.stdout, code: result.status };
}

/**
 * What a terminal would show after these bytes: a minimal emulator for what
 * cachex and its tasks write — text, \r, \n, backspace, and the CSI cursor and
 * erase sequences (G, K, A, B, C, D); colours and modes are ignored.
 */
export function screen(bytes: string): string[] {
  const lines: string[][] = [[]];
  let row = 0;
  let col = 0;
  const line = () => {
    while (lines.length <= row) lines.push([]);
    return lines[row];
  };
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (c === '\u001b' && bytes[i + 1] === '[') {
      let j = i + 2;
      while (j < bytes.length && !/[@-~]/.test(bytes[j])) j++;
      const params = bytes.slice(i + 2, j);
      const n = params === '' ? undefined : Number(params.replace(/^\?/, ''));
      const final = bytes[j];
      const current = line();
      if (final === 'K') {
        if (!n) current.length = Math.min(current.length, col);
        else if (n === 2) current.length = 0;
        else for (let k = 0; k < col && k < current.length; k++) current[k] = ' ';
      } else if (final === 'G') col = (n ?? 1) - 1;
      else if (final === 'A') row = Math.max(0, row - (n ?? 1));
      else if (final === 'B') row += n ?? 1;
      else if (final === 'C') col += n ?? 1;
      else if (final === 'D') col = Math.max(0, col - (n ?? 1));
      i = j;
      continue;
    }
    if (c === '\u001b' && bytes[i + 1] === ']') {
      const end = bytes.indexOf('\u0007', i);
      i = end < 0 ? bytes.length : end;
      continue;
    }
    if (c === '\r') col = 0;
    else if (c === '\n') row++;
    else if (c === '\b') col = Math.max(0, col - 1);
    else if (c >= ' ') {
      const current = line();
      while (current.length < col) current.push(' ');
      current[col++] = c;
    }
  }
  return lines.map((l) => l.join('').trimEnd());
}
