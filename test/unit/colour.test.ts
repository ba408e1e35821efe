import { describe, expect, it } from 'vitest';
import { decideColour, taskColourEnv } from '../../src/output/colour.js';

const tty = (depth = 8) => ({ isTTY: true, getColorDepth: () => depth });
const pipe = { isTTY: false };
const streams = { stdout: tty(), stderr: tty() };

describe('the colour decision', () => {
  it('colours a terminal at the depth it reports, and never a pipe', () => {
    expect(decideColour({}, streams)).toEqual({ stdout: 2, stderr: 2, forced: false });
    expect(decideColour({}, { stdout: pipe, stderr: tty(24) })).toEqual({ stdout: 0, stderr: 3, forced: false });
  });

  it('turns colour off for NO_COLOR, TERM=dumb and CI; an empty NO_COLOR does not count', () => {
    expect(decideColour({ NO_COLOR: '1' }, streams).stderr).toBe(0);
    expect(decideColour({ TERM: 'dumb' }, streams).stderr).toBe(0);
    expect(decideColour({ CI: 'true' }, streams).stderr).toBe(0);
    expect(decideColour({ NO_COLOR: '' }, streams).stderr).toBe(2);
    expect(decideColour({ CI: 'false' }, streams).stderr).toBe(2);
  });

  it('lets FORCE_COLOR win over everything, pipes included, at the level it names', () => {
    expect(decideColour({ FORCE_COLOR: '1', NO_COLOR: '1' }, { stdout: pipe, stderr: pipe })).toEqual({
      stdout: 1,
      stderr: 1,
      forced: true,
    });
    expect(decideColour({ FORCE_COLOR: '3', TERM: 'dumb' }, streams).stdout).toBe(3);
    expect(decideColour({ FORCE_COLOR: '0' }, streams)).toEqual({ stdout: 0, stderr: 0, forced: true });
    expect(decideColour({ FORCE_COLOR: 'false' }, streams).stderr).toBe(0);
  });
});

describe('what tasks are told', () => {
  it('on a colour terminal: FORCE_COLOR at its level and CLICOLOR_FORCE', () => {
    expect(taskColourEnv(decideColour({}, streams), {})).toEqual({
      FORCE_COLOR: '2',
      CLICOLOR_FORCE: '1',
      NO_COLOR: undefined,
    });
  });

  it('through a pipe, in CI or under NO_COLOR: nothing changes', () => {
    expect(taskColourEnv(decideColour({}, { stdout: pipe, stderr: tty() }), {})).toEqual({});
    expect(taskColourEnv(decideColour({ CI: '1' }, streams), { CI: '1' })).toEqual({});
    expect(taskColourEnv(decideColour({ NO_COLOR: '1' }, streams), { NO_COLOR: '1' })).toEqual({});
  });

  it('NO_COLOR and FORCE_COLOR together: the forced answer, without the NO_COLOR Node warns about', () => {
    const env = { NO_COLOR: '1', FORCE_COLOR: 'true' };
    expect(taskColourEnv(decideColour(env, streams), env)).toEqual({ FORCE_COLOR: '1', NO_COLOR: undefined });
    const off = { NO_COLOR: '1', FORCE_COLOR: '0' };
    expect(taskColourEnv(decideColour(off, streams), off)).toEqual({ FORCE_COLOR: '0' });
  });

  it('respects CLICOLOR=0', () => {
    expect(taskColourEnv(decideColour({ CLICOLOR: '0' }, streams), { CLICOLOR: '0' })).not.toHaveProperty(
      'CLICOLOR_FORCE',
    );
  });
});
