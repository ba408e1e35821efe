/**
 * meta.yaml is read on every hit, and loading the full `yaml` library costs
 * more than the rest of a hit. So cachex writes meta.yaml in a plain subset of
 * YAML — block maps and lists, every scalar a JSON literal (valid YAML 1.2) —
 * and reads that subset here. Anything else (a hand-edited file) returns
 * undefined and the caller falls back to the full library.
 */

const BARE_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

function scalar(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value);
}

function key(name: string): string {
  return BARE_KEY.test(name) ? name : JSON.stringify(name);
}

function isBlock(value: unknown): value is object {
  if (Array.isArray(value)) return value.length > 0;
  return value !== null && typeof value === 'object' && Object.keys(value).length > 0;
}

/** A record every value of which is a scalar: written as one JSON line (a YAML flow mapping). */
function isFlatRecord(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  for (const item of Object.values(value)) if (item !== null && typeof item === 'object') return false;
  return true;
}

function emit(value: unknown, indent: string, lines: string[], flow?: ReadonlySet<string>): void {
  if (Array.isArray(value)) {
    for (const item of value) {
      if (isBlock(item) && !Array.isArray(item)) {
        const sub: string[] = [];
        emit(item, `${indent}  `, sub);
        lines.push(`${indent}- ${sub[0].slice(indent.length + 2)}`, ...sub.slice(1));
      } else if (isBlock(item)) {
        lines.push(`${indent}-`);
        emit(item, `${indent}  `, lines);
      } else lines.push(`${indent}- ${scalar(item)}`);
    }
    return;
  }
  for (const [name, item] of Object.entries(value as Record<string, unknown>)) {
    if (item === undefined) continue;
    if (flow?.has(name) && Array.isArray(item) && item.length > 0 && item.every(isFlatRecord)) {
      // One line per record instead of one per field: 10 000 outputs are 10 000 lines to write and to read, not 60 000.
      lines.push(`${indent}${key(name)}:`);
      for (const record of item) lines.push(`${indent}  - ${JSON.stringify(record)}`);
    } else if (isBlock(item)) {
      lines.push(`${indent}${key(name)}:`);
      emit(item, `${indent}  `, lines);
    } else lines.push(`${indent}${key(name)}: ${scalar(item)}`);
  }
}

/**
 * `flow`: top-level keys whose lists of flat records are written one JSON
 * object per line (`- {"path":"a","size":1}`), which is YAML too (JSON is a
 * subset of YAML 1.2) and which every version of the reader below reads: a
 * list item that is not `key: value` is parsed as a JSON scalar.
 */
export function toYaml(value: Record<string, unknown>, flow?: ReadonlySet<string>): string {
  const lines: string[] = [];
  emit(value, '', lines, flow);
  return `${lines.join('\n')}\n`;
}

class Subset extends Error {}

interface Line {
  indent: number;
  text: string;
}

/** Splits `key: rest` where key may be bare or a JSON string. */
function splitKey(text: string): [string, string] {
  let name: string;
  let rest: string;
  if (text.startsWith('"')) {
    const end = text.indexOf('":');
    if (end < 0) throw new Subset();
    name = JSON.parse(text.slice(0, end + 1));
    rest = text.slice(end + 2);
  } else {
    const colon = text.indexOf(':');
    if (colon < 0) throw new Subset();
    name = text.slice(0, colon);
    if (!BARE_KEY.test(name)) throw new Subset();
    rest = text.slice(colon + 1);
  }
  if (rest !== '' && !rest.startsWith(' ')) throw new Subset();
  return [name, rest.trim()];
}

function parseScalar(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Subset();
  }
}

export function fromYaml(text: string): unknown {
  const lines: Line[] = [];
  for (const raw of text.split('\n')) {
    if (raw.trim() === '') continue;
    const indent = raw.length - raw.trimStart().length;
    if (raw[indent] === '#' || raw.includes('\t')) return undefined;
    lines.push({ indent, text: raw.slice(indent) });
  }
  let i = 0;
  const block = (indent: number): unknown => (lines[i]?.text.startsWith('-') ? list(indent) : map(indent));
  const value = (rest: string, indent: number): unknown => {
    if (rest !== '') return parseScalar(rest);
    if (i < lines.length && lines[i].indent > indent) return block(lines[i].indent);
    return null;
  };
  const map = (indent: number): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    while (i < lines.length && lines[i].indent === indent && !lines[i].text.startsWith('-')) {
      const [name, rest] = splitKey(lines[i].text);
      i++;
      out[name] = value(rest, indent);
    }
    return out;
  };
  const list = (indent: number): unknown[] => {
    const out: unknown[] = [];
    while (i < lines.length && lines[i].indent === indent && lines[i].text.startsWith('-')) {
      const rest = lines[i].text.slice(1).trim();
      if (rest === '') {
        i++;
        out.push(value('', indent));
      } else if (rest.startsWith('"') || !/^[A-Za-z_][A-Za-z0-9_-]*:( |$)/.test(rest)) {
        if (/^"(?:[^"\\]|\\.)*":( |$)/.test(rest)) {
          lines[i] = { indent: indent + 2, text: rest };
          out.push(map(indent + 2));
        } else {
          i++;
          out.push(parseScalar(rest));
        }
      } else {
        lines[i] = { indent: indent + 2, text: rest };
        out.push(map(indent + 2));
      }
    }
    return out;
  };
  try {
    const result = block(0);
    return i === lines.length ? result : undefined;
  } catch (err) {
    if (err instanceof Subset) return undefined;
    throw err;
  }
}
