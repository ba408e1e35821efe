import fs, { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importConfigModule } from '../../src/config/import.js';
import { pointAtTypeScript } from '../../src/config/ts-specifiers.js';

/** jiti 2.7's default extensions, which src/config/import.ts passes on. */
const EXTENSIONS = ['.js', '.mjs', '.cjs', '.ts', '.tsx', '.mts', '.cts', '.mtsx', '.ctsx'];

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cachex-ts-specifiers-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const point = (code: string) => pointAtTypeScript(code, path.join(dir, 'config.ts'), EXTENSIONS);

describe('pointAtTypeScript', () => {
  it('points ./x.js, ../x.mjs and ./x.jsx imports at the TypeScript file there, either quote', () => {
    mkdirSync(path.join(dir, 'lib'));
    writeFileSync(path.join(dir, 'lib', 'a.ts'), '');
    writeFileSync(path.join(dir, 'b.mts'), '');
    writeFileSync(path.join(dir, 'c.tsx'), '');
    const code = `var _a = await jitiImport("./lib/a.js");\nconst b = () => jitiImport('./b.mjs');\nvar _c = await jitiImport("./c.jsx");`;
    expect(point(code)).toBe(
      `var _a = await jitiImport("./lib/a.ts");\nconst b = () => jitiImport('./b.mts');\nvar _c = await jitiImport("./c.tsx");`,
    );
    expect(pointAtTypeScript('await jitiImport("../a.js")', path.join(dir, 'lib', 'sub', 'x.ts'), EXTENSIONS)).toBe(
      'await jitiImport("../a.ts")',
    );
  });

  it('leaves a specifier alone where jiti would load something before the .ts file', () => {
    writeFileSync(path.join(dir, 'real.js'), ''); // the named file exists
    writeFileSync(path.join(dir, 'real.ts'), '');
    mkdirSync(path.join(dir, 'folder.js')); // a folder: its index comes first
    writeFileSync(path.join(dir, 'folder.ts'), '');
    writeFileSync(path.join(dir, 'odd.js.ts'), ''); // an extension appended comes first
    writeFileSync(path.join(dir, 'odd.ts'), '');
    writeFileSync(path.join(dir, 'data.js.json'), ''); // so does Node's .json
    writeFileSync(path.join(dir, 'data.ts'), '');
    mkdirSync(path.join(dir, 'notfile.ts')); // the .ts is a folder, not a file
    for (const name of ['real', 'folder', 'odd', 'data', 'notfile', 'missing']) {
      const code = `await jitiImport("./${name}.js")`;
      expect(point(code), name).toBe(code);
    }
  });

  it('touches only relative jitiImport calls: packages, builtins, require() and other strings stay', () => {
    writeFileSync(path.join(dir, 'a.ts'), '');
    const code = [
      'await jitiImport("node:fs")',
      'await jitiImport("some-package/a.js")',
      'require("./a.js")',
      'const s = "./a.js"',
      'await jitiImport("./a.ts")',
    ].join('\n');
    expect(point(code)).toBe(code);
    expect(pointAtTypeScript('jitiImport("./a.js")', undefined, EXTENSIONS)).toBe('jitiImport("./a.js")');
  });
});

describe('loading a config whose TypeScript imports use .js specifiers', () => {
  /** Calls of fs.statSync/existsSync (what jiti's resolver probes with) on paths under `dir` while `fn` runs. */
  async function probes<T>(fn: () => Promise<T>): Promise<{ value: T; paths: string[] }> {
    const paths: string[] = [];
    const real = { statSync: fs.statSync, existsSync: fs.existsSync };
    const record = (p: unknown) => {
      const file = String(p instanceof URL ? p.pathname : p);
      if (file.startsWith(dir)) paths.push(file);
    };
    fs.statSync = ((p: fs.PathLike, o?: fs.StatSyncOptions) => {
      record(p);
      return real.statSync(p, o);
    }) as typeof fs.statSync;
    fs.existsSync = (p: fs.PathLike) => {
      record(p);
      return real.existsSync(p);
    };
    try {
      return { value: await fn(), paths };
    } finally {
      Object.assign(fs, real);
    }
  }

  it('finds each .ts file in a few stats, not the 80 or so of jiti 2.7 alone, and sees a .js file added later', async () => {
    const config = path.join(dir, 'cachex.config.ts');
    writeFileSync(path.join(dir, 'helper.ts'), `export const where: string = 'ts';\n`);
    writeFileSync(
      config,
      `import { where } from './helper.js';\nexport default { tasks: { t: { command: ['echo', where] } } };\n`,
    );
    const first = await probes(() => importConfigModule(config));
    expect(first.value).toEqual({ tasks: { t: { command: ['echo', 'ts'] } } });
    const helperProbes = first.paths.filter((p) => path.basename(p).startsWith('helper.'));
    // helper.js, helper.js + 11 extensions, helper.ts, then jiti's own resolution of ./helper.ts.
    expect(helperProbes.length, helperProbes.join('\n')).toBeLessThanOrEqual(16);

    // jiti itself would now load helper.js; so must the next load, with nothing kept from the first.
    writeFileSync(path.join(dir, 'helper.js'), `export const where = 'js';\n`);
    expect(await importConfigModule(config)).toEqual({ tasks: { t: { command: ['echo', 'js'] } } });
  });
});
