import { describe, expect, it } from 'vitest';
import { type CommandNode, completeWords, formatCompletion } from '../../src/cli/complete-words.js';

const flag = (name: string, values: CommandNode['argument'] = null, takesValue = values !== null) => ({
  names: [name],
  description: `${name} help`,
  takesValue,
  values,
});

const tree: CommandNode = {
  name: 'cachex',
  description: '',
  flags: [flag('--config', 'files'), flag('--data-folder', 'dirs'), flag('--version', null, false)],
  argument: null,
  children: [
    {
      name: 'run',
      description: 'run a task',
      flags: [],
      argument: 'tasks',
      children: [
        {
          name: 'convert',
          description: 'convert a cloud',
          argument: null,
          children: [],
          flags: [
            flag('--file', 'files'),
            flag('--quality', ['low', 'high']),
            flag('--debug', null, false),
            flag('--no-debug', null, false),
            flag('--quiet', null, false),
          ],
        },
        { name: 'contour', description: 'draw contours', argument: null, children: [], flags: [] },
      ],
    },
    { name: 'ls', description: 'list entries', flags: [flag('--json', null, false)], argument: 'tasks', children: [] },
  ],
};

const values = (words: string[]) => completeWords(tree, words).candidates.map((c) => c.value);

describe('completeWords', () => {
  it('completes commands, then task names by prefix', () => {
    expect(values([''])).toEqual(['run', 'ls']);
    expect(values(['r'])).toEqual(['run']);
    expect(values(['run', 'con'])).toEqual(['convert', 'contour']);
    expect(values(['run', 'conv'])).toEqual(['convert']);
  });

  it("completes a task's flags, with the global ones but not --version", () => {
    expect(values(['run', 'convert', '--'])).toEqual([
      '--file',
      '--quality',
      '--debug',
      '--no-debug',
      '--quiet',
      '--config',
      '--data-folder',
    ]);
    expect(values(['run', 'convert', '--q'])).toEqual(['--quality', '--quiet']);
    expect(values(['--v'])).toEqual(['--version']);
  });

  it('offers enum choices after their flag, also in --flag=value form', () => {
    expect(values(['run', 'convert', '--quality', ''])).toEqual(['low', 'high']);
    expect(values(['run', 'convert', '--quality', 'h'])).toEqual(['high']);
    expect(values(['run', 'convert', '--quality=l'])).toEqual(['--quality=low']);
  });

  it('hands file and dir values to the shell', () => {
    expect(completeWords(tree, ['run', 'convert', '--file', ''])).toEqual({ candidates: [], paths: 'files' });
    expect(completeWords(tree, ['--data-folder', 'x'])).toEqual({ candidates: [], paths: 'dirs' });
    expect(completeWords(tree, ['run', 'convert', '--config', 'a.ts', '--file', 'x']).paths).toBe('files');
  });

  it('skips the values of flags it passes, and global options before the command', () => {
    expect(values(['--config', 'other.ts', 'run', 'conv'])).toEqual(['convert']);
    expect(values(['run', 'convert', '--quality', 'low', '--d'])).toEqual(['--debug', '--data-folder']);
  });

  it('completes task names where a command takes a task', () => {
    expect(values(['ls', ''])).toEqual(['convert', 'contour']);
    expect(values(['ls', 'convert', ''])).toEqual([]);
  });

  it('prints value<TAB>description lines and the mode last', () => {
    expect(formatCompletion(completeWords(tree, ['run', 'conv']))).toBe('convert\tconvert a cloud\n:none\n');
    expect(formatCompletion(completeWords(tree, ['run', 'convert', '--file', '']))).toBe(':files\n');
  });
});
