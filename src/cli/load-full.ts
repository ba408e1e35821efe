import { requireCompiled } from '../code-cache.js';

/**
 * Loads the full CLI (dist/cli/full-cli.cjs) with a V8 code cache (code-cache.ts): compiling its
 * 700 KB, and the functions a command then compiles as it runs, costs every non-hit command about
 * 15 ms of CPU; a cached compile costs a fraction. Built as dist/cli/load-full.cjs. The bundle
 * holds no dynamic import() (see scripts/build-cli.mjs).
 */
export interface FullCli {
  main(argv: string[]): Promise<number>;
}

export function loadFullCli(file: string): FullCli {
  const compiled = requireCompiled(file);
  const cli = compiled.exports as FullCli;
  return {
    // Saved after the command has run, so it holds the functions the command compiled too.
    main: async (argv) => {
      try {
        return await cli.main(argv);
      } finally {
        compiled.save();
      }
    },
  };
}
