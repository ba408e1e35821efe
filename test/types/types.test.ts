import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as TS from 'typescript';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.js';

const ts = createRequire(import.meta.url)('typescript') as typeof TS;
const HERE = path.join(REPO, 'test', 'types');

// tsc in process, with one source-file cache for all three programs: each would otherwise parse
// the same @types/node and src/ tree again in a fresh Node (about a third of this file's time).
const parsed = new Map<string, TS.SourceFile | undefined>();
const system = ts.createCompilerHost({});
const host: TS.CompilerHost = {
  ...system,
  getSourceFile(fileName, languageVersion) {
    const cached = parsed.get(fileName);
    if (cached || parsed.has(fileName)) return cached;
    const file = system.getSourceFile(fileName, languageVersion);
    // The scratch files change between programs; everything else is read once.
    if (!fileName.includes('.scratch-')) parsed.set(fileName, file);
    return file;
  },
};

/** `tsc -p project --pretty false` on the project's files: its exit code (0 or 2) and diagnostics as tsc prints them. */
function tsc(project: string): { code: number; out: string } {
  const config = ts.getParsedCommandLineOfConfigFile(
    project,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  if (!config) throw new Error(`cannot read ${project}`);
  const program = ts.createProgram({ rootNames: config.fileNames, options: config.options, host });
  // Only the project's own files are checked: src/ is type-checked by the build, and checking
  // it again here for each program would be most of this file's time.
  const roots = config.fileNames.map((name) => program.getSourceFile(name));
  const diagnostics = [
    ...config.errors,
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...roots.flatMap((file) => [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)]),
  ];
  const out = ts.formatDiagnostics(diagnostics, {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => process.cwd(),
    getNewLine: () => '\n',
  });
  return { code: diagnostics.length > 0 ? 2 : 0, out };
}

/** Compiles `files` (paths under test/types) with the type tests' options, from a scratch tsconfig. */
function compile(files: Record<string, string>): { code: number; out: string } {
  const dir = mkdtempSync(path.join(HERE, '.scratch-'));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
    writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({ extends: '../tsconfig.json', files: Object.keys(files) }),
    );
    return tsc(path.join(dir, 'tsconfig.json'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('types (tsc --noEmit on test/types)', () => {
  it('correct configs and library calls compile; every marked mistake is a compile error', () => {
    const r = tsc(path.join(HERE, 'tsconfig.json'));
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
  });

  it('the marked mistakes fail for the reason marked: without the markers tsc reports each one', () => {
    const strip = (file: string) =>
      readFileSync(path.join(HERE, file), 'utf8').replaceAll('// @ts-expect-error', '// (expected error)');
    const r = compile({ 'config.fail.ts': strip('config.fail.ts'), 'library.fail.ts': strip('library.fail.ts') });
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/Property 'resoluton' does not exist on type '\{ file: string; resolution: number; \}'/);
    expect(r.out).toMatch(/Type '"debgu"' is not assignable to type '"debug"'/);
    expect(r.out).toMatch(/types '"low" \| "high"' and '"medium"' have no overlap/);
    expect(r.out).toMatch(/'dataFoldr' does not exist .* Did you mean to write 'dataFolder'\?/);
    expect(r.out).toMatch(/ignore names verbos, which the function does not take/);
    expect(r.out).toMatch(/defaults names verbos, which the function does not take/);
    expect(r.out).toMatch(/params names fil, which the function does not take/);
    expect(r.out).toMatch(/library\.fail\.ts\(12,\d+\): error TS2554: Expected 1 arguments, but got 0/);
  });

  it('a marker on a line that compiles fails the type tests (so a loosened type cannot pass unnoticed)', () => {
    const r = compile({
      'loose.ts': `import { defineConfig } from 'cachex';
defineConfig({
  tasks: {
    t: {
      params: { file: { type: 'file', required: true } },
      // @ts-expect-error (nothing wrong here)
      ignore: ['file'],
      run: ({ file }) => file,
    },
  },
});
`,
    });
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/Unused '@ts-expect-error' directive/);
  });
});
