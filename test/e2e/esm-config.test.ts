import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CliResult, isOneSentence, REPO, Workspace } from '../helpers/cli.js';

/**
 * A config Node treats as an ES module (`.mjs`, `.js` under `"type": "module"`) is loaded by plain
 * import() (src/config/esm-config.ts), never by jiti; the saved config still lists every module that
 * load resolved, so editing the config, a module it imports or a package it imports makes the next
 * run load it again and see the change. TypeScript configs stay on jiti.
 */

const LOG_IMPORTS = path.join(REPO, 'test', 'fixtures', 'log-imports.mjs');

let ws: Workspace;
beforeEach(() => {
  ws = new Workspace('cachex-esmconfig-');
});
afterEach(() => ws.cleanup());

interface Observed extends CliResult {
  jiti: number;
  /** The full CLI ran (commander): the config was loaded from its file. */
  full: boolean;
}

let logs = 0;
function observe(args: string[]): Observed {
  const log = ws.path(`imports-${++logs}.log`);
  const result = ws.run(args, { env: { LOG_IMPORTS: log, NODE_OPTIONS: `--import ${LOG_IMPORTS}` } });
  const modules = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
  rmSync(log, { force: true });
  return {
    ...result,
    jiti: modules.filter((m) => /node_modules\/jiti\//.test(m)).length,
    full: modules.some((m) => /node_modules\/commander\/|dist\/cli\/load-full\.cjs/.test(m)),
  };
}

/** Runs until a run takes the hit path (the manifest's "racy" rule may make the next one load fully once). */
function untilFast(args: string[]): Observed {
  let last: Observed | null = null;
  for (let i = 0; i < 4; i++) {
    last = observe(args);
    if (!last.full) return last;
  }
  throw new Error(`never took the hit path: ${last?.stderr}`);
}

const config = (helper: string, word = '') => `import { defineConfig } from 'cachex';
import { WORD } from '${helper}';

export default defineConfig({
  tasks: { hello: { command: ['sh', '-c', 'echo "' + WORD + '${word}"'] } },
});
`;

const configs = () => path.join(ws.data, 'configs');

/**
 * The next run prints `expected` (so it saw the change); a full load then loads no jiti, and a hit
 * (no jiti, no commander) prints it too. The saved config the next change is checked against is
 * written by a process without the observer, so that the observer's own hooks and require patch
 * cannot make visible what cachex alone would miss.
 */
function expectLoadedThenHit(expected: string): void {
  const next = ws.run(['run', 'hello']);
  expect(next.stderr).toMatch(/^(miss|hit) /m);
  expect(next.stdout).toBe(expected);
  rmSync(configs(), { recursive: true, force: true });
  const loaded = observe(['run', 'hello']);
  expect(loaded.full, 'the config is loaded from its file').toBe(true);
  expect(loaded.jiti, 'an ES-module config is loaded without jiti').toBe(0);
  expect(loaded.stdout).toBe(expected);
  const hit = untilFast(['run', 'hello']);
  expect(hit.jiti).toBe(0);
  expect(hit.stderr).toMatch(/^hit /m);
  expect(hit.stdout).toBe(expected);
  rmSync(configs(), { recursive: true, force: true });
  // Until a plain full load saves it (one within the clock's granularity of an edit saves nothing).
  for (let i = 0; i < 4 && !(existsSync(configs()) && readdirSync(configs()).length > 0); i++)
    expect(ws.run(['run', 'hello']).stdout).toBe(expected);
  expect(readdirSync(configs()).length).toBe(1);
}

describe('ES-module configs', () => {
  it('a .mjs config importing a .mjs helper: editing the helper or the config is seen by the next run', () => {
    ws.write('words.mjs', `export const WORD = 'hello';\n`);
    ws.config(config('./words.mjs'), 'cachex.config.mjs');
    expectLoadedThenHit('hello\n');

    ws.write('words.mjs', `export const WORD = 'howdy';\n`);
    expectLoadedThenHit('howdy\n');

    ws.config(config('./words.mjs', '!'), 'cachex.config.mjs');
    expectLoadedThenHit('howdy!\n');
  });

  it('a .js config in a "type": "module" package, importing a package from node_modules', () => {
    ws.write('package.json', '{ "type": "module" }\n');
    ws.write('node_modules/wordpkg/package.json', '{ "name": "wordpkg", "type": "module", "exports": "./main.js" }\n');
    ws.write('node_modules/wordpkg/main.js', `export { WORD } from './word.js';\n`);
    ws.write('node_modules/wordpkg/word.js', `export const WORD = 'hello';\n`);
    ws.config(config('wordpkg'), 'cachex.config.js');
    expectLoadedThenHit('hello\n');

    // A module two imports deep, inside a package.
    ws.write('node_modules/wordpkg/word.js', `export const WORD = 'howdy';\n`);
    expectLoadedThenHit('howdy\n');

    // The package's exports now point elsewhere.
    ws.write('node_modules/wordpkg/other.js', `export const WORD = 'other';\n`);
    ws.write('node_modules/wordpkg/package.json', '{ "name": "wordpkg", "type": "module", "exports": "./other.js" }\n');
    expectLoadedThenHit('other\n');

    ws.config(config('wordpkg', '!'), 'cachex.config.js');
    expectLoadedThenHit('other!\n');
  });

  it('a CommonJS module the config imports, and one that module requires, are seen too', () => {
    // A default import: Node reads the module through its CommonJS loader alone (a named one is also
    // scanned for its export names).
    ws.write('words.cjs', `module.exports = require('./inner.cjs');\n`);
    ws.write('inner.cjs', `module.exports = 'hello';\n`);
    ws.config(config('./words.cjs').replace('{ WORD }', 'WORD'), 'cachex.config.mjs');
    expectLoadedThenHit('hello\n');
    ws.write('inner.cjs', `module.exports = 'howdy';\n`);
    expectLoadedThenHit('howdy\n');
  });

  it('a .js config stops being an ES module when the package.json says so: it loads again (by jiti)', () => {
    ws.write('package.json', '{ "type": "module" }\n');
    ws.write('words.js', `export const WORD = 'hello';\n`);
    ws.config(config('./words.js'), 'cachex.config.js');
    expectLoadedThenHit('hello\n');
    ws.write('package.json', '{ "type": "commonjs" }\n');
    const again = observe(['run', 'hello']);
    expect(again.full).toBe(true);
    expect(again.jiti).toBeGreaterThan(0);
    expect(again.stdout).toBe('hello\n');
  });

  it('a .mjs config that does not parse is one configuration error with its line', () => {
    ws.config(`export default {\n  tasks: {{{\n};\n`, 'cachex.config.mjs');
    const result = ws.run(['run', 'hello']);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(
      /^error: Could not load the config file .*cachex\.config\.mjs: syntax error at line 2, column \d+: /,
    );
    expect(isOneSentence(result.stderr)).toBe(true);
  });
});
