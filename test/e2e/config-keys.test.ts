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
  it('a misspelt task option: exit 3 naming the key, the task and the nearest option; nothing runs', () => {
    ws.config(config({ task: "ignroe: ['n']," }));
    const r = ws.run(['run', 'count']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      /task "count": "ignroe" is not a task option \(did you mean "ignore"\?\); rename or remove it\./,
    );
    expect(isOneSentence(r.stderr)).toBe(true);
    expect(ws.taskRuns()).toBe(0);
  });

  it('a misspelt param option names the param and the nearest option', () => {
    ws.config(config({ param: 'descripton: "how many",' }));
    const r = ws.run(['run', 'count']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      /task "count", param "n": "descripton" is not a param option \(did you mean "description"\?\)/,
    );
    expect(ws.taskRuns()).toBe(0);
  });

  it('a misspelt top-level key names the nearest key, for every command that loads the config', () => {
    ws.config(config({ top: "datafolder: 'elsewhere'," }));
    for (const args of [['run', 'count'], ['tasks']]) {
      const r = ws.run(args);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/cachex\.config\.ts: "datafolder" is not a config key \(did you mean "dataFolder"\?\)/);
    }
    expect(ws.taskRuns()).toBe(0);
  });

  it('a key far from every valid one lists the valid ones', () => {
    ws.config(config({ task: 'retries: 3,' }));
    const r = ws.run(['run', 'count']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/"retries" is not a task option; use one of description, version, module, params, ignore/);
    expect(ws.taskRuns()).toBe(0);
  });

  it('the same config without the stray key runs', () => {
    ws.config(config({}));
    const r = ws.run(['run', 'count']);
    expect(r.code).toBe(0);
    expect(ws.taskRuns()).toBe(1);
  });
});
