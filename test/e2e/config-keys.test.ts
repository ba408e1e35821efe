import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Workspace, isOneSentence } from '../helpers/cli.js';

let ws: Workspace;
beforeEach(() => {
  ws = new Workspace();
});
afterEach(() => ws.cleanup());

/** A config with one counting TS task; `taskExtra`/`paramExtra`/`topExtra` add one (misspelt) key at that level. */
function config(parts: { top?: string; task?: string; param?: string }): string {
  return `import { appendFileSync } from 'node:fs';
import { defineConfig } from 'cachex';
export default defineConfig({
  ${parts.top ?? ''}
  tasks: {
    count: {
      ${parts.task ?? ''}
      params: { n: { type: 'number', default: 1, ${parts.param ?? ''} } },
      run: async ({ n }) => {
        appendFileSync(process.env.COUNT_FILE, 'x\\n');
        return n;
      },
    },
  },
});
`;
}

describe('unknown config keys', () => {
  // A misspelt task option, a misspelt param option and a key far from every valid one were cases
  // here too (a config written and loaded by a spawn each): the same validateConfig rule with the
  // same sentences, unit tests in test/unit/config-validate.test.ts. This one proves the CLI
  // refuses such a config with exit 3 and one sentence, before anything runs.
  it('a misspelt top-level key names the nearest key, for every command that loads the config', () => {
    ws.config(config({ top: "datafolder: 'elsewhere'," }));
    for (const args of [['run', 'count'], ['tasks']]) {
      const r = ws.run(args);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/cachex\.config\.ts: "datafolder" is not a config key \(did you mean "dataFolder"\?\)/);
      expect(isOneSentence(r.stderr)).toBe(true);
    }
    expect(ws.taskRuns()).toBe(0);
  });

  it('the same config without the stray key runs', () => {
    ws.config(config({}));
    const r = ws.run(['run', 'count']);
    expect(r.code).toBe(0);
    expect(ws.taskRuns()).toBe(1);
  });
});
