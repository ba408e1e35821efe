/**
 * Whether cachex's output is coloured, decided once per process from the
 * environment and the two streams, and handed to every writer: status lines,
 * errors, tables, the spinner, and — through the environment — the tasks.
 */

/** Colour depth as FORCE_COLOR spells it: 0 none, 1 16 colours, 2 256, 3 truecolor. */
export type ColourLevel = 0 | 1 | 2 | 3;

export interface ColourDecision {
  stdout: ColourLevel;
  stderr: ColourLevel;
  /** FORCE_COLOR decided it (for every stream, pipes included). */
  forced: boolean;
}

interface Streams {
  stdout: Pick<NodeJS.WriteStream, 'isTTY'> & Partial<Pick<NodeJS.WriteStream, 'getColorDepth'>>;
  stderr: Pick<NodeJS.WriteStream, 'isTTY'> & Partial<Pick<NodeJS.WriteStream, 'getColorDepth'>>;
}

/** Set and not empty, as https://no-color.org counts it. */
function present(value: string | undefined): boolean {
  return value !== undefined && value !== '';
}

/** CI=true (or any value but 0/false) means nobody watches a terminal. */
export function inCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = env.CI;
  return Boolean(ci) && ci !== '0' && ci !== 'false';
}

/** FORCE_COLOR's level, the way Node and chalk read it; null when it is unset. */
function forcedLevel(env: NodeJS.ProcessEnv): ColourLevel | null {
  const force = env.FORCE_COLOR;
  if (force === undefined) return null;
  if (force === '0' || force === 'false') return 0;
  if (force === '2') return 2;
  if (force === '3') return 3;
  return 1;
}

function terminalLevel(stream: Streams['stdout'], env: NodeJS.ProcessEnv): ColourLevel {
  if (!stream.isTTY || inCi(env) || env.TERM === 'dumb') return 0;
  // An empty NO_COLOR does not count (no-color.org), but Node's own check would take it as set.
  const { NO_COLOR: _ignored, ...rest } = env;
  const depth = stream.getColorDepth?.(rest) ?? 4;
  if (depth >= 24) return 3;
  if (depth >= 8) return 2;
  return depth >= 4 ? 1 : 0;
}

/**
 * FORCE_COLOR wins over everything (as in Node itself, so a Node task agrees
 * with us); then NO_COLOR and TERM=dumb turn colour off; otherwise a
 * terminal outside CI gets the depth it reports.
 */
export function decideColour(env: NodeJS.ProcessEnv, streams: Streams): ColourDecision {
  const forced = forcedLevel(env);
  if (forced !== null) return { stdout: forced, stderr: forced, forced: true };
  if (present(env.NO_COLOR)) return { stdout: 0, stderr: 0, forced: false };
  return { stdout: terminalLevel(streams.stdout, env), stderr: terminalLevel(streams.stderr, env), forced: false };
}

let decided: ColourDecision | null = null;

/** This process's decision (made on first use, from process.env and the real stdout and stderr). */
export function colourDecision(): ColourDecision {
  decided ??= decideColour(process.env, { stdout: process.stdout, stderr: process.stderr });
  return decided;
}

export function colourLevel(stream: NodeJS.WriteStream = process.stderr): ColourLevel {
  const decision = colourDecision();
  if (stream === process.stdout) return decision.stdout;
  if (stream === process.stderr) return decision.stderr;
  return decision.forced ? decision.stdout : 0;
}

export function colourEnabled(stream: NodeJS.WriteStream = process.stderr): boolean {
  return colourLevel(stream) > 0;
}

/**
 * The environment changes that give tasks the same answer. A child process or
 * worker has pipes, not our terminal, so on a colour terminal it is told so
 * with FORCE_COLOR (Node, chalk, Python's rich, …) and CLICOLOR_FORCE (Rust,
 * CMake, BSD tools). A forced decision is written back as its level, and
 * NO_COLOR dropped when colour is on (Node warns when it sees both). In CI and
 * through pipes nothing changes. `undefined` means "remove the variable".
 */
export function taskColourEnv(decision: ColourDecision, env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  const level = Math.min(decision.stdout, decision.stderr) as ColourLevel;
  if (decision.forced) {
    return level > 0 ? { FORCE_COLOR: String(level), NO_COLOR: undefined } : { FORCE_COLOR: '0' };
  }
  if (level === 0) return {};
  // NO_COLOR can only be empty here; Node would still warn about it beside FORCE_COLOR.
  const changes: Record<string, string | undefined> = { FORCE_COLOR: String(level), NO_COLOR: undefined };
  if (env.CLICOLOR !== '0') changes.CLICOLOR_FORCE = '1';
  return changes;
}

/**
 * Called once at start-up by the CLI: decides colour, then writes the answer
 * into process.env, which every task inherits (child processes and worker
 * threads alike) — and which keeps Node from warning about NO_COLOR and
 * FORCE_COLOR in this process too.
 */
export function shareColourWithTasks(): ColourDecision {
  const decision = colourDecision();
  for (const [name, value] of Object.entries(taskColourEnv(decision, process.env))) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  return decision;
}

const CODES = {
  green: [32, 39],
  yellow: [33, 39],
  red: [31, 39],
  dim: [2, 22],
  bold: [1, 22],
  cyan: [36, 39],
} as const;

export type Colour = keyof typeof CODES;

export function paint(colour: Colour, text: string, stream: NodeJS.WriteStream = process.stderr): string {
  if (!colourEnabled(stream)) return text;
  const [open, close] = CODES[colour];
  return `\u001b[${open}m${text}\u001b[${close}m`;
}
