import { describe, expect, it } from 'vitest';
import { parseHitArgs } from '../../src/cli/hit-args.js';
import type { TaskSpec } from '../../src/config/types.js';

/** The hit path's own parser of `run <task>` flags: commander's results for plain spellings, null for the rest. */
const spec = {
  command: ['x', '{file}'],
  params: {
    file: { type: 'file', required: true },
    resolution: { type: 'number' },
    fullColour: { type: 'boolean' },
    tag: { type: 'string', list: true },
  },
} as unknown as TaskSpec;

const base = { link: 'auto', remote: true };

describe('parseHitArgs', () => {
  it('reads params and run flags as commander does', () => {
    expect(
      parseHitArgs(['--file', 'a.pcd', '--resolution=0.5', '--full-colour', '--tag', 'a', '--tag=b'], spec),
    ).toEqual({
      given: { file: 'a.pcd', resolution: '0.5', fullColour: true, tag: ['a', 'b'] },
      flags: base,
    });
    expect(
      parseHitArgs(['--no-full-colour', '--json', '--quiet', '--no-remote', '--out', 'o', '--link=copy'], spec),
    ).toEqual({
      given: { fullColour: false },
      flags: { link: 'copy', remote: false, json: true, quiet: true, out: 'o' },
    });
    expect(parseHitArgs(['--max-age', '2h', '--stale', '1h', '--publish', 'p', '--debug'], spec)?.flags).toEqual({
      ...base,
      maxAge: '2h',
      stale: '1h',
      publish: 'p',
      debug: true,
    });
    expect(parseHitArgs([], spec)).toEqual({ given: {}, flags: base });
  });

  it('leaves everything unusual to commander', () => {
    for (const args of [
      ['--help'],
      ['-h'],
      ['positional'],
      ['--'],
      ['--nope'],
      ['--file'],
      ['--file', '--json'],
      ['--resolution', '-1'],
      ['--file', 'a', '--file', 'b'],
      ['--out', 'a', '--out', 'b'],
      ['--json=1'],
      ['--full-colour=yes'],
      ['--no-file'],
      ['--no-json'],
    ])
      expect(parseHitArgs(args, spec), args.join(' ')).toBeNull();
    // A task's own `debug` param is its flag, not cachex's.
    const withDebug = { ...spec, params: { debug: { type: 'boolean' } } } as unknown as TaskSpec;
    expect(parseHitArgs(['--debug'], withDebug)).toEqual({ given: { debug: true }, flags: base });
    // A param named like run's own `remote` slot is commander's to sort out.
    expect(parseHitArgs([], { ...spec, params: { remote: { type: 'string' } } } as unknown as TaskSpec)).toBeNull();
  });
});
