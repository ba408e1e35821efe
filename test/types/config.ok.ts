/** A config a user would write: it compiles, and each task's run sees its params with their declared types. */
import { defineConfig } from 'cachex';

/** Compiles only when A and B are the same type. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | undefined {
  return undefined;
}

export default defineConfig({
  dataFolder: '.cachex',
  tasks: {
    convert: {
      description: 'every param type',
      version: 2,
      params: {
        file: { type: 'file', required: true, description: 'input cloud' },
        folder: { type: 'dir' },
        resolution: { type: 'number', default: 0.1 },
        passes: { type: 'integer' },
        debug: { type: 'boolean', default: false },
        colour: { type: 'boolean' },
        quality: { type: 'enum', choices: ['low', 'high'], default: 'low' },
        mode: { type: 'enum', choices: ['fast', 'exact'] },
        tag: { type: 'string', list: true },
        label: { type: 'string' },
        sizes: { type: 'number', list: true, default: [1, 2] },
      },
      ignore: ['debug', 'colour'],
      run: async (params, ctx) => {
        assertType<
          Equal<
            typeof params,
            {
              file: string;
              resolution: number;
              debug: boolean;
              colour: boolean;
              quality: 'low' | 'high';
              tag: string[];
              sizes: number[];
              folder?: string;
              passes?: number;
              mode?: 'fast' | 'exact';
              label?: string;
            }
          >
        >();
        assertType<Equal<typeof ctx, { outDir: string; task: string; key: string }>>();
        const { file, resolution, quality } = params;
        if (quality === 'high') return { file, resolution, out: ctx.outDir };
        return null;
      },
    },
    noParams: {
      run: (params, ctx) => {
        assertType<Equal<typeof params, {}>>();
        return ctx.key;
      },
    },
    syncTask: {
      params: { n: { type: 'integer', required: true } },
      run: ({ n }) => n * 2,
    },
    annotated: {
      params: { file: { type: 'file', required: true } },
      // An explicit annotation that matches is fine.
      run: async ({ file }: { file: string }) => file.length,
    },
    potree: {
      params: { file: { type: 'file', required: true }, verbose: { type: 'boolean', default: false } },
      ignore: ['verbose'],
      env: ['HOME'],
      command: ['${POTREE_CONVERTER}', '{file}', '-o', '{out}'],
      outputs: ['metadata.json'],
      cacheFailures: true,
    },
  },
});
