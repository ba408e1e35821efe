/**
 * Shell completion, the pure part: from the words typed after `cachex` (the
 * last one being the word under the cursor, maybe empty) to the candidates.
 * The tree comes from commander's own commands and options (completion-tree.ts).
 */

export interface FlagNode {
  /** Every spelling: `--file`, `-v`. */
  names: string[];
  description: string;
  takesValue: boolean;
  /** Values offered after the flag; `files`/`dirs` hand over to the shell's path completion. */
  values: readonly string[] | 'files' | 'dirs' | 'tasks' | null;
}

export interface CommandNode {
  name: string;
  description: string;
  flags: FlagNode[];
  children: CommandNode[];
  /** What the command's positional arguments are (first one only): completed like a flag's values. */
  argument: FlagNode['values'];
}

export interface Candidate {
  value: string;
  description: string;
}

export interface Completion {
  candidates: Candidate[];
  /** The shell should complete paths instead (a `--file` value, say). */
  paths: 'files' | 'dirs' | null;
}

const NONE: Completion = { candidates: [], paths: null };

function findFlag(node: CommandNode, globals: FlagNode[], word: string): FlagNode | undefined {
  return [...node.flags, ...globals].find((f) => f.names.includes(word));
}

function valuesFor(
  values: FlagNode['values'],
  current: string,
  tasks: CommandNode | undefined,
  prefix = '',
): Completion {
  if (values === 'files' || values === 'dirs') return { candidates: [], paths: values };
  const list =
    values === 'tasks'
      ? (tasks?.children ?? []).map((c) => ({ value: c.name, description: c.description }))
      : (values ?? []).map((v) => ({ value: v, description: '' }));
  return {
    candidates: list
      .filter((c) => c.value.startsWith(current))
      .map((c) => ({ value: `${prefix}${c.value}`, description: c.description })),
    paths: null,
  };
}

export function completeWords(root: CommandNode, words: readonly string[]): Completion {
  const current = words.length ? words[words.length - 1] : '';
  const before = words.slice(0, -1);
  const tasks = root.children.find((c) => c.name === 'run');
  let node = root;
  let pendingFlag: FlagNode | null = null;
  let positional = 0;
  for (const word of before) {
    if (pendingFlag) {
      pendingFlag = null;
      continue;
    }
    if (word === '--') return { candidates: [], paths: 'files' }; // a command line of another program
    if (word.startsWith('-')) {
      const flag = findFlag(node, root.flags, word.split('=')[0]);
      if (flag?.takesValue && !word.includes('=')) pendingFlag = flag;
      continue;
    }
    const child = node.children.find((c) => c.name === word);
    if (child && positional === 0) node = child;
    else positional++;
  }
  if (pendingFlag) return valuesFor(pendingFlag.values, current, tasks);
  if (current.startsWith('-')) {
    const eq = current.indexOf('=');
    if (eq > 0) {
      const flag = findFlag(node, root.flags, current.slice(0, eq));
      if (!flag?.takesValue) return NONE;
      return valuesFor(flag.values, current.slice(eq + 1), tasks, current.slice(0, eq + 1));
    }
    const seen = new Set<string>();
    const candidates: Candidate[] = [];
    // The root's own flags follow into every command, but not --version.
    const inherited = node === root ? [] : root.flags.filter((f) => !f.names.includes('--version'));
    for (const flag of [...node.flags, ...inherited]) {
      for (const name of flag.names) {
        if (!name.startsWith('--') || !name.startsWith(current) || seen.has(name)) continue;
        seen.add(name);
        candidates.push({ value: name, description: flag.description });
      }
    }
    return { candidates, paths: null };
  }
  if (node.children.length && positional === 0) {
    return {
      candidates: node.children
        .filter((c) => c.name.startsWith(current))
        .map((c) => ({ value: c.name, description: c.description })),
      paths: null,
    };
  }
  if (positional === 0 && node.argument) return valuesFor(node.argument, current, tasks);
  return NONE;
}

/** The protocol between the shell scripts and `cachex __complete`: `value<TAB>description` lines, then the mode. */
export function formatCompletion(completion: Completion): string {
  const lines = completion.candidates.map((c) => `${c.value}\t${c.description.replace(/\s+/g, ' ')}`);
  lines.push(completion.paths ? `:${completion.paths}` : ':none');
  return `${lines.join('\n')}\n`;
}
