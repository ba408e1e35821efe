/** Config sources the end-to-end tests write into their workspace. */

export interface DemoConfigOptions {
  /** `version` of the TS task `sum`. */
  version?: number;
  /** Extra statement inside `sum`'s body, to test that editing the function invalidates. */
  extra?: string;
}

/**
 * Tasks over the stand-in converter (`potree`, `echo`) and a TS task (`sum`)
 * that counts its executions in $COUNT_FILE, prints to both streams, writes
 * an output file and returns a Map (to show v8 serialisation survives).
 */
export function demoConfig(options: DemoConfigOptions = {}): string {
  return `import { appendFileSync, writeFileSync } from 'node:fs';
import { defineConfig } from 'cachex';

export default defineConfig({
  tasks: {
    potree: {
      description: 'stand-in converter',
      params: {
        file: { type: 'file', required: true },
        quality: { type: 'enum', choices: ['low', 'high'], default: 'low' },
        verbose: { type: 'boolean', default: false },
      },
      ignore: ['verbose'],
      command: ['\${POTREE_CONVERTER}', '{file}', '-o', '{out}'],
    },
    echo: {
      params: { label: { type: 'string', required: true }, file: { type: 'file', required: true } },
      command: ['\${POTREE_CONVERTER}', '--echo', '{label}', '{file}', '-o', '{out}'],
    },
    flaky: {
      params: { file: { type: 'file', required: true } },
      command: ['\${POTREE_CONVERTER}', '{file}', '-o', '{out}'],
      env: ['FAKE_EXIT'],
    },
    sum: {
      version: ${options.version ?? 1},
      params: {
        a: { type: 'number', default: 1 },
        b: { type: 'integer', default: 2 },
        note: { type: 'string' },
      },
      ignore: ['note'],
      run: async ({ a, b }, ctx) => {
        appendFileSync(process.env.COUNT_FILE, 'x\\n');
        ${options.extra ?? ''}
        writeFileSync(ctx.outDir + '/sum.txt', String(a + b));
        console.log('sum is', a + b);
        console.error('sum done');
        return { sum: a + b, parts: new Map([['a', a], ['b', b]]) };
      },
    },
  },
});
`;
}
