import { createRequire } from 'node:module';
import { ConfigError } from '../errors.js';
import { distFile } from '../package-root.js';

/** Where `import … from 'cachex'` in a config file points: the light config entry (see config-entry.ts). */
const PACKAGE_ENTRY = distFile('config-entry.js');

/**
 * Imports a config file (TypeScript or JavaScript) without a build step.
 * jiti is loaded lazily and keeps transpiled files in its own disk cache, so a
 * hit pays the transpile once per config edit.
 */
export async function importConfigModule(file: string): Promise<unknown> {
  // require(), not import(): see src/cli/commander.ts — jiti is a large CommonJS bundle.
  const { createJiti } = createRequire(import.meta.url)('jiti') as typeof import('jiti');
  const jiti = createJiti(import.meta.url, {
    alias: { cachex: PACKAGE_ENTRY },
    interopDefault: true,
    moduleCache: false,
  });
  try {
    return await jiti.import(file, { default: true });
  } catch (err) {
    const reason = (err as Error)?.message?.split('\n')[0] ?? String(err);
    throw new ConfigError(`Could not load the config file ${file}: ${reason}; fix the file and try again.`, {
      cause: err,
    });
  }
}
