/**
 * tasks/params.ts: every param type's validation and normalisation, defaults
 * and their precedence, and the sentences bad values get. Cases moved here
 * from the spawn-per-case e2e tables (run.test.ts, reliability/bad-input.test.ts)
 * keep their message; the e2e files keep one case per family to prove the CLI
 * wires the rule (exit 2, nothing run, nothing written).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParamSpec, ParamsSchema } from '../../src/config/types.js';
import { ConfigError, UsageError } from '../../src/errors.js';
import { normalizeValue, resolveParams } from '../../src/tasks/params.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cachex-params-'));
  mkdirSync(path.join(dir, 'in', 'folder'), { recursive: true });
  writeFileSync(path.join(dir, 'in', 'a.pcd'), 'points');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The value a flag `--<name> <raw>` becomes, or the UsageError it raises. */
const flag = (spec: ParamSpec, raw: unknown, name = 'x') => normalizeValue(name, spec, raw, 'flag', dir);

/** Expects a usage error (exit 2) whose message is one sentence matching `message`. */
function refused(attempt: () => unknown, message: RegExp): void {
  let error: unknown;
  try {
    attempt();
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(UsageError);
  const { message: text, exitCode } = error as UsageError;
  expect(exitCode).toBe(2);
  expect(text).toMatch(message);
  expect(text).not.toContain('\n');
  expect(text).toMatch(/[.?]\)?$/);
}

describe('string params', () => {
  it('keep their value exactly, empty included when not required', () => {
    expect(flag({ type: 'string' }, ' it\'s "q"; $(id) ')).toBe(' it\'s "q"; $(id) ');
    expect(flag({ type: 'string' }, '')).toBe('');
  });
  it('refuse an empty required value, a NUL and a non-string', () => {
    // from reliability/bad-input.test.ts: "an empty required string"
    refused(() => flag({ type: 'string', required: true }, '', 'label'), /^--label needs a non-empty value\.$/);
    refused(() => flag({ type: 'string' }, 'a\0b'), /--x contains a NUL character/);
    refused(() => flag({ type: 'string' }, 3), /--x expects a string, got 3/);
  });
});

describe('number params', () => {
  it.each([
    ['0.1', 0.1],
    ['0.10', 0.1],
    ['.1', 0.1],
    ['+1.5', 1.5],
    ['1e3', 1000],
    ['1E-2', 0.01],
    [' 2 ', 2],
    ['-0', 0],
    ['5.', 5],
    [7, 7],
  ])('read %j as %d (one canonical form per value)', (raw, value) => {
    const n = flag({ type: 'number' }, raw);
    expect(n).toBe(value);
    expect(Object.is(n, -0)).toBe(false); // -0 and 0 share a key
  });

  it.each([
    // from run.test.ts ("a bad number" stays there as the e2e case of this family)
    ['abc', /--a expects a number, got "abc"/],
    // from reliability/bad-input.test.ts
    ['NaN', /--a expects a number, got "NaN"/],
    ['Infinity', /--a expects a number, got "Infinity"/],
    ['-Infinity', /--a expects a number, got "-Infinity"/],
    ['0x10', /--a expects a number, got "0x10"/],
    ['', /--a expects a number/],
    ['1,5', /--a expects a number/],
  ])('refuse %j', (raw, message) => refused(() => flag({ type: 'number' }, raw, 'a'), message));

  it('refuse values beyond the finite range (from run.test.ts and bad-input.test.ts: 1e999)', () => {
    refused(() => flag({ type: 'number' }, '1e999', 'a'), /^--a expects a finite number, got "1e999"\.$/);
    refused(() => flag({ type: 'number' }, Number.POSITIVE_INFINITY, 'a'), /--a expects a finite number/);
  });
});

describe('integer params', () => {
  it('read integers written as decimals or exponents', () => {
    expect(flag({ type: 'integer' }, '42')).toBe(42);
    expect(flag({ type: 'integer' }, '1e3')).toBe(1000);
    expect(flag({ type: 'integer' }, '-0')).toBe(0);
    expect(flag({ type: 'integer' }, String(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
  });

  it.each([
    // from run.test.ts: "a fractional integer"; bad-input.test.ts: 1.5, 9007199254740993, 1e400
    ['1.5', /^--b expects an integer between -9007199254740991 and 9007199254740991, got "1\.5"\.$/],
    ['9007199254740993', /--b expects an integer between/],
    ['1e400', /--b expects a finite number/],
    ['two', /--b expects an integer, got "two"/],
  ])('refuse %j', (raw, message) => refused(() => flag({ type: 'integer' }, raw, 'b'), message));
});

describe('boolean params', () => {
  it('read booleans and the strings true/false', () => {
    expect(flag({ type: 'boolean' }, true)).toBe(true);
    expect(flag({ type: 'boolean' }, 'false')).toBe(false);
    expect(flag({ type: 'boolean' }, 'true')).toBe(true);
  });
  it('refuse anything else', () => {
    refused(() => flag({ type: 'boolean' }, 'yes'), /--x expects true or false, got "yes"/);
    refused(() => flag({ type: 'boolean' }, 1), /--x expects true or false, got 1/);
  });
});

describe('enum params', () => {
  const spec: ParamSpec = { type: 'enum', choices: ['low', 'high'] };
  it('accept a listed choice', () => expect(flag(spec, 'high')).toBe('high'));
  it('refuse another value, naming the choices (from run.test.ts: a bad enum value)', () => {
    refused(() => flag(spec, 'ultra', 'quality'), /^--quality must be one of low, high, got "ultra"\.$/);
    refused(() => flag(spec, 'LOW', 'quality'), /must be one of low, high/);
  });
});

describe('file and dir params', () => {
  const file: ParamSpec = { type: 'file' };
  it('resolve relative to the cwd into an absolute path', () => {
    expect(flag(file, 'in/a.pcd')).toBe(path.join(dir, 'in', 'a.pcd'));
    expect(flag(file, './in/../in/a.pcd')).toBe(path.join(dir, 'in', 'a.pcd'));
    expect(flag({ type: 'dir' }, 'in/folder/')).toBe(path.join(dir, 'in', 'folder'));
  });

  it.each([
    // from run.test.ts: "a missing input file"; bad-input.test.ts: missing file, ../ to a missing file
    ['nope.pcd', /^--file names nope\.pcd, which does not exist; check the path\.$/],
    ['in/missing.pcd', /--file names in\/missing\.pcd, which does not exist/],
    ['../../../../no/such/file', /--file names \.\.\/\.\.\/\.\.\/\.\.\/no\/such\/file, which does not exist/],
    // bad-input.test.ts: "a folder where a file is expected", "an empty file path"
    ['in/folder', /^--file names in\/folder, which is not a regular file\.$/],
    ['', /^--file expects a path, got ""\.$/],
    ['in/a\0.pcd', /--file contains a NUL character/],
  ])('refuse %j', (raw, message) => refused(() => flag(file, raw, 'file'), message));

  it('refuse a file where a dir is expected', () => {
    refused(() => flag({ type: 'dir' }, 'in/a.pcd', 'src'), /^--src names in\/a\.pcd, which is not a directory\.$/);
  });
});

describe('resolveParams: defaults, lists, required and unknown params', () => {
  const schema: ParamsSchema = {
    file: { type: 'file', required: true },
    quality: { type: 'enum', choices: ['low', 'high'], default: 'low' },
    verbose: { type: 'boolean' },
    tag: { type: 'string', list: true },
    n: { type: 'integer', default: 2 },
  };
  const resolve = (given: Record<string, unknown>, fileDefaults?: Record<string, unknown>) =>
    resolveParams(schema, { given, fileDefaults, cwd: dir });

  it('an omitted param and its default end up identical; booleans default to false, lists to []', () => {
    const omitted = resolve({ file: 'in/a.pcd' });
    expect(omitted).toEqual({ file: path.join(dir, 'in', 'a.pcd'), quality: 'low', verbose: false, tag: [], n: 2 });
    expect(resolve({ file: 'in/a.pcd', quality: 'low', n: '2.0', verbose: 'false' })).toEqual(omitted);
  });

  it('params file defaults override schema defaults and given values override both', () => {
    expect(resolve({ file: 'in/a.pcd' }, { n: 10 }).n).toBe(10);
    expect(resolve({ file: 'in/a.pcd', n: '5' }, { n: 10 }).n).toBe(5);
  });

  it('names where a bad value came from: the params file or the default', () => {
    // A bad value in the params file is a configuration error (exit 3), like its other errors.
    expect(() => resolve({ file: 'in/a.pcd' }, { n: 1.5 })).toThrow(ConfigError);
    expect(() => resolve({ file: 'in/a.pcd' }, { n: 1.5 })).toThrow(/"n" in the params file.*expects an integer/);
    refused(
      () => resolveParams({ q: { type: 'enum', choices: ['a'], default: 'b' } }, { given: {}, cwd: dir }),
      /^default value of "q" must be one of a/,
    );
    refused(
      () => resolveParams(schema, { given: { file: 7 }, cwd: dir, givenOrigin: 'argument' }),
      /^the argument "file" expects a path, got 7\./,
    );
  });

  it('a list param takes one value or many, each normalised', () => {
    expect(resolve({ file: 'in/a.pcd', tag: 'x' }).tag).toEqual(['x']);
    expect(resolve({ file: 'in/a.pcd', tag: ['x', 'y'] }).tag).toEqual(['x', 'y']);
    refused(
      () => resolveParams({ n: { type: 'integer', list: true } }, { given: { n: ['1', 'x'] }, cwd: dir }),
      /--n expects an integer, got "x"/,
    );
  });

  it('refuses a missing required param, with the flag to pass (from run.test.ts and bad-input.test.ts)', () => {
    refused(() => resolve({}), /^--file is required; pass --file <file>\.$/);
  });

  it('refuses a single-valued param given twice (e2e: bad-input.test.ts "a repeated single-valued flag")', () => {
    refused(() => resolve({ file: 'in/a.pcd', n: ['1', '2'] }), /^--n was given more than once; it takes one value\.$/);
  });

  it('refuses a param outside the schema, listing the known ones', () => {
    expect(() => resolve({ file: 'in/a.pcd', zzz: 1 })).toThrow(
      /^Unknown param "zzz"; known params: file, quality, verbose, tag, n\.$/,
    );
    expect(() => resolveParams({}, { given: { a: 1 }, cwd: dir })).toThrow(/known params: none/);
  });

  it('turns camelCase param names into kebab-case flags in messages', () => {
    refused(
      () => resolveParams({ filePath: { type: 'file', required: true } }, { given: {}, cwd: dir }),
      /^--file-path is required; pass --file-path <file>\.$/,
    );
  });
});
