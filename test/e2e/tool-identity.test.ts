import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Workspace, isOneSentence } from '../helpers/cli.js';
import { buildTool, HAVE_GCC, NO_GCC_REASON, patchLibraryByte, rebuildLibrary } from '../helpers/elf-tool.js';

const CONFIG = `import { defineConfig } from 'cachex';

export default defineConfig({
  tasks: {
    answer: { command: ['\${MYTOOL}', '{out}'] },
    plugged: { command: ['\${MYTOOL}', '{out}'], tool: { inputs: ['plugins/*.dat', 'tool.conf'] } },
    versioned: { command: ['\${MYTOOL}', '{out}'], tool: { versionCommand: ['--version'] } },
    failing: { command: ['\${MYTOOL}', '{out}'], tool: { versionCommand: ['--fail'] } },
  },
});
`;

interface RunJson {
  status: string;
  key: string;
  outDir: string;
}

describe.skipIf(!HAVE_GCC)(
  `a command's key covers the libraries its executable ships with${HAVE_GCC ? '' : ` — ${NO_GCC_REASON}`}`,
  () => {
    let ws: Workspace;
    let toolDir: string;
    beforeAll(() => {
      ws = new Workspace();
      ws.config(CONFIG);
      toolDir = ws.path('tools', 'a');
      buildTool(toolDir);
      ws.write('plugins/one.dat', 'plugin one\n');
      ws.write('tool.conf', 'setting=1\n');
      ws.env = { ...ws.env, MYTOOL: path.join(toolDir, 'mytool'), TOOL_LOG: ws.path('tool-runs.log') };
    });
    afterAll(() => ws.cleanup());

    function run(task: string, env: NodeJS.ProcessEnv = {}): RunJson {
      const r = ws.run(['run', task, '--json'], { env });
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as RunJson;
    }
    const toolRuns = () =>
      existsSync(ws.path('tool-runs.log')) ? readFileSync(ws.path('tool-runs.log'), 'utf8').split('\n').length - 1 : 0;

    it('a one-byte change in a library loaded from the tool’s own folder is a miss', () => {
      const first = run('answer');
      expect(first.status).toBe('miss');
      expect(readFileSync(path.join(first.outDir, 'answer.txt'), 'utf8')).toBe('42 TAG-v1\n');
      expect(run('answer')).toMatchObject({ status: 'hit', key: first.key });
      patchLibraryByte(toolDir);
      const after = run('answer');
      expect(after.status).toBe('miss');
      expect(after.key).not.toBe(first.key);
      expect(readFileSync(path.join(after.outDir, 'answer.txt'), 'utf8')).toBe('42 TAG-v2\n');
      expect(toolRuns()).toBe(2);
    });

    it('the same files under another path are a hit', () => {
      const before = run('answer');
      const moved = ws.path('elsewhere', 'deeper', 'copy');
      cpSync(toolDir, moved, { recursive: true });
      const there = run('answer', { MYTOOL: path.join(moved, 'mytool') });
      expect(there).toMatchObject({ status: 'hit', key: before.key });
    });

    it('inspect shows the executable and each library, relative to the executable, and no system library', () => {
      const { key } = run('answer');
      const text = ws.run(['inspect', key.slice(0, 12)]);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toMatch(/^ {2}executable: \S+\/mytool \([0-9a-f]{64}\)$/m);
      expect(text.stdout).toMatch(/^ {2}library: lib\/libanswer\.so \([0-9a-f]{64}\)$/m);
      expect(text.stdout).toMatch(/^ {2}library: lib\/libdeep\.so \([0-9a-f]{64}\)$/m);
      const json = JSON.parse(ws.run(['inspect', key.slice(0, 12), '--json']).stdout);
      expect(json.meta.keyInputs.tool.libraries.map((l: { path: string }) => l.path)).toEqual([
        'lib/libanswer.so',
        'lib/libdeep.so',
      ]);
    });

    it('tool.inputs adds files and globs relative to the config: a changed or new match is a miss', () => {
      const first = run('plugged');
      expect(first.status).toBe('miss');
      expect(run('plugged').status).toBe('hit');
      ws.write('plugins/two.dat', 'plugin two\n');
      const added = run('plugged');
      expect(added.status).toBe('miss');
      ws.write('tool.conf', 'setting=2\n');
      expect(run('plugged').status).toBe('miss');
      const text = ws.run(['inspect', run('plugged').key.slice(0, 12)]).stdout;
      expect(text).toMatch(/^ {2}tool input: plugins\/one\.dat \([0-9a-f]{64}\)$/m);
      expect(text).toMatch(/^ {2}tool input: plugins\/two\.dat \([0-9a-f]{64}\)$/m);
      expect(text).toMatch(/^ {2}tool input: tool\.conf \([0-9a-f]{64}\)$/m);
      expect(text).toMatch(/^ {2}library: lib\/libanswer\.so/m);
    });

    it('tool.versionCommand keys by the output of `<executable> --version` instead of any content', () => {
      const dir = ws.path('tools', 'v');
      const env = { MYTOOL: buildTool(dir) };
      const first = run('versioned', env);
      expect(first.status).toBe('miss');
      patchLibraryByte(dir); // content changes, the version output does not
      expect(run('versioned', env)).toMatchObject({ status: 'hit', key: first.key });
      rebuildLibrary(dir, 43); // the answer, and so the version output, changes
      const changed = run('versioned', env);
      expect(changed.status).toBe('miss');
      const text = ws.run(['inspect', changed.key.slice(0, 12)]).stdout;
      expect(text).toMatch(/^ {2}executable: \S+\/mytool \(keyed by its version output\)$/m);
      expect(text).toMatch(/^ {2}tool version: --version → "mytool 1\.0 \(answer 43\)" \([0-9a-f]{64}\)$/m);
      expect(text).not.toMatch(/library:/);
    });

    it('a failing version command is one sentence with exit 3, and nothing runs', () => {
      const before = toolRuns();
      const r = ws.run(['run', 'failing']);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/tool\.versionCommand \(\S+\/mytool --fail\) exited with code 4; fix the arguments/);
      expect(isOneSentence(r.stderr)).toBe(true);
      expect(toolRuns()).toBe(before);
    });

    it('a tool.inputs pattern that matches nothing is a config error naming it', () => {
      const other = new Workspace();
      try {
        other.config(CONFIG.replace("'plugins/*.dat'", "'nothing/*.so'"));
        const r = other.run(['run', 'plugged'], { env: { MYTOOL: path.join(toolDir, 'mytool') } });
        expect(r.code).toBe(3);
        expect(r.stderr).toMatch(/tool\.inputs pattern "nothing\/\*\.so" matches no file in /);
        expect(isOneSentence(r.stderr)).toBe(true);
      } finally {
        other.cleanup();
      }
    });
  },
);

describe('tool in the config', () => {
  const cases: [string, string, RegExp][] = [
    ['on a run task', "t: { run: () => 1, tool: { inputs: ['a'] } }", /`tool` describes the program of a command task/],
    ['not an object', "t: { command: ['true'], tool: ['a'] }", /`tool` must be an object/],
    ['an unknown option', "t: { command: ['true'], tool: { input: ['a'] } }", /`tool` has no option "input"/],
    ['inputs not a list of strings', "t: { command: ['true'], tool: { inputs: 'a' } }", /`tool.inputs` must be a list/],
    [
      'an empty versionCommand',
      "t: { command: ['true'], tool: { versionCommand: [] } }",
      /`tool.versionCommand` must be a non-empty list/,
    ],
  ];
  for (const [name, task, message] of cases) {
    it(`is refused ${name}, exit 3, one sentence`, () => {
      const ws = new Workspace();
      try {
        mkdirSync(ws.dir, { recursive: true });
        writeFileSync(
          ws.path('cachex.config.ts'),
          `import { defineConfig } from 'cachex';\nexport default defineConfig({ tasks: { ${task} } });\n`,
        );
        const r = ws.run(['run', 't']);
        expect(r.code).toBe(3);
        expect(r.stderr).toMatch(message);
        expect(isOneSentence(r.stderr)).toBe(true);
      } finally {
        ws.cleanup();
      }
    });
  }
});
