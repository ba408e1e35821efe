import { describe, expect, it } from 'vitest';
import { diffKeyInputs, missReason, rankEntries, type KeySide } from '../../src/key/diff.js';
import type { KeyInputs } from '../../src/key/inputs.js';

const D1 = `1f3a${'0'.repeat(60)}`;
const D2 = `9b2c${'1'.repeat(60)}`;

function inputs(over: Partial<KeyInputs> = {}): KeyInputs {
  return {
    format: 1,
    module: 'tasks',
    task: 'convert',
    kind: 'function',
    version: 1,
    code: 'c'.repeat(64),
    params: { resolution: 0.1, file: { digest: D1 } },
    env: {},
    ...over,
  };
}

const side = (over: Partial<KeyInputs> = {}, params?: Record<string, unknown>): KeySide => ({
  inputs: inputs(over),
  params: params ?? { resolution: 0.1, file: '/p/data.pcd' },
});

const texts = (stored: KeySide, current: KeySide, cwd = '/p') =>
  diffKeyInputs(stored, current, { cwd }).map((d) => d.text);

describe('diffKeyInputs names each changed key input', () => {
  it('finds nothing when the inputs are equal', () => {
    expect(diffKeyInputs(side(), side())).toEqual([]);
  });

  it('the working folder of a command: working folder packages/a → packages/b', () => {
    const command = { kind: 'command' as const, code: undefined, command: ['pwd'] };
    const [d] = diffKeyInputs(
      side({ ...command, workingFolder: 'packages/a' }),
      side({ ...command, workingFolder: 'packages/b' }),
    );
    expect(d).toMatchObject({ kind: 'working-folder', before: 'packages/a', after: 'packages/b' });
    expect(d.text).toBe('working folder packages/a → packages/b');
    expect(d.short).toBe('working folder changed');
    // An entry stored before the working folder entered keys.
    expect(texts(side(command), side({ ...command, workingFolder: '.' }))).toEqual([
      'working folder . (the entry was stored before cachex keyed the working folder)',
    ]);
  });

  it('a plain param: --resolution 0.1 → 0.2', () => {
    const current = side({ params: { resolution: 0.2, file: { digest: D1 } } });
    const [d] = diffKeyInputs(side(), current);
    expect(d).toMatchObject({ kind: 'param', param: 'resolution', before: 0.1, after: 0.2 });
    expect(d.text).toBe('--resolution 0.1 → 0.2');
    expect(d.short).toBe('--resolution changed');
  });

  it('a camelCase param is named by its flag, and a param given only now shows (unset)', () => {
    const current = side({ params: { resolution: 0.1, file: { digest: D1 }, maxPoints: 5 } });
    expect(texts(side(), current)).toEqual(['--max-points (unset) → 5']);
    expect(texts(current, side())).toEqual(['--max-points 5 → (unset)']);
  });

  it('a file keyed by content: file data.pcd: content changed (sha256 1f3a… → 9b2c…)', () => {
    const current = side({ params: { resolution: 0.1, file: { digest: D2 } } });
    const [d] = diffKeyInputs(side(), current, { cwd: '/p' });
    expect(d.text).toBe('file data.pcd: content changed (sha256 1f3a… → 9b2c…)');
    expect(d).toMatchObject({ kind: 'path', param: 'file', digestBefore: D1, digestAfter: D2, pathChanged: false });
    expect(d.short).toBe('data.pcd changed');
  });

  it('a file keyed by content, given by another path with other content, names both paths', () => {
    const current = side({ params: { resolution: 0.1, file: { digest: D2 } } }, { file: '/p/other.pcd' });
    expect(texts(side(), current)).toEqual(['file other.pcd: content differs from data.pcd (sha256 1f3a… → 9b2c…)']);
  });

  it('a dir param is called a dir', () => {
    const stored = side({ params: { photos: { digest: D1 } } }, { photos: '/p/photos' });
    const current = side({ params: { photos: { digest: D2 } } }, { photos: '/p/photos' });
    const schema = { photos: { type: 'dir' as const } };
    expect(diffKeyInputs(stored, current, { cwd: '/p', schema }).map((d) => d.text)).toEqual([
      'dir photos: content changed (sha256 1f3a… → 9b2c…)',
    ]);
  });

  it('keyBy path: the path changed', () => {
    const stored = side({ params: { file: { path: 'in/a.pcd' } } });
    const current = side({ params: { file: { path: 'in/b.pcd' } } });
    expect(texts(stored, current)).toEqual(['file in/a.pcd → in/b.pcd']);
  });

  it('keyBy both: path and content changed, or only the content', () => {
    const stored = side({ params: { file: { path: 'a.pcd', digest: D1 } } });
    const moved = side({ params: { file: { path: 'b.pcd', digest: D2 } } });
    const edited = side({ params: { file: { path: 'a.pcd', digest: D2 } } });
    expect(texts(stored, moved)).toEqual(['file a.pcd → b.pcd, content changed (sha256 1f3a… → 9b2c…)']);
    expect(texts(stored, edited)).toEqual(['file a.pcd: content changed (sha256 1f3a… → 9b2c…)']);
  });

  it('a changed keyBy is named as such', () => {
    const stored = side({ params: { file: { digest: D1 } } });
    const current = side({ params: { file: { path: 'data.pcd' } } });
    expect(texts(stored, current)).toEqual(['--file keyed by content → path']);
  });

  it('a list of values', () => {
    const stored = side({ params: { tag: ['a', 'b'] } });
    const current = side({ params: { tag: ['a', 'c'] } });
    expect(texts(stored, current)).toEqual(['--tag a,b → a,c']);
  });

  it('a list of files: one item edited, one added, the order changed', () => {
    const files = ['/p/a.pcd', '/p/b.pcd'];
    const stored = side({ params: { files: [{ digest: D1 }, { digest: D1 }] } }, { files });
    const edited = side({ params: { files: [{ digest: D1 }, { digest: D2 }] } }, { files });
    expect(texts(stored, edited)).toEqual(['file b.pcd: content changed (sha256 1f3a… → 9b2c…)']);
    const longer = side(
      { params: { files: [{ digest: D1 }, { digest: D1 }, { digest: D2 }] } },
      { files: [...files, '/p/c.pcd'] },
    );
    expect(texts(stored, longer)).toEqual(['--files: c.pcd added']);
    expect(texts(longer, stored)).toEqual(['--files: c.pcd removed']);
    const swapped = side({ params: { files: [{ digest: D2 }, { digest: D1 }] } }, { files });
    const swappedBack = side({ params: { files: [{ digest: D1 }, { digest: D2 }] } }, { files: files.toReversed() });
    expect(texts(swapped, swappedBack)).toEqual(['--files: order changed']);
  });

  // Moved from e2e why.test.ts ("names a list param", "names a list of files that grew", "names an
  // env variable that changed": the last is the first case of the env test below), same words.
  it('a list of values that grew, and a list of files that grew, named relative to the cwd', () => {
    expect(texts(side({ params: { tag: ['a', 'b'] } }), side({ params: { tag: ['a', 'b', 'c'] } }))).toEqual([
      '--tag a,b → a,b,c',
    ]);
    const two = ['/p/in/i1.txt', '/p/in/i2.txt'];
    const stored = side({ params: { input: [{ digest: D1 }, { digest: D2 }] } }, { input: two });
    const grown = side(
      { params: { input: [{ digest: D1 }, { digest: D2 }, { digest: D1 }] } },
      { input: [...two, '/p/in/i3.txt'] },
    );
    expect(texts(stored, grown)).toEqual(['--input: in/i3.txt added']);
  });

  it('the run function source', () => {
    const [d] = diffKeyInputs(side(), side({ code: 'd'.repeat(64) }));
    expect(d.text).toBe('run function source changed');
    expect(missReason([d])).toBe('run function changed');
  });

  it('the task version', () => {
    expect(texts(side(), side({ version: 2 }))).toEqual(['version 1 → 2']);
    expect(texts(side({ version: null }), side({ version: 'b' }))).toEqual(['version none → b']);
  });

  it('the executable of a command task, by content (its path alone is not in the key)', () => {
    const command = { kind: 'command' as const, code: undefined, command: ['${X}', '{file}'] };
    const stored = side({ ...command, executable: { path: '/usr/bin/X', digest: D1 } });
    const same = side({ ...command, executable: { path: '/opt/X', digest: D1 } });
    const changed = side({ ...command, executable: { path: '/usr/bin/X', digest: D2 } });
    const moved = side({ ...command, executable: { path: '/opt/X', digest: D2 } });
    expect(texts(stored, same)).toEqual([]);
    expect(texts(stored, changed)).toEqual(['executable /usr/bin/X: content changed']);
    expect(texts(stored, moved)).toEqual(['executable /opt/X: content changed (was /usr/bin/X)']);
  });

  it('the command line', () => {
    const stored = side({ kind: 'command', code: undefined, command: ['x', '{file}'] });
    const current = side({ kind: 'command', code: undefined, command: ['x', '-q', '{file}'] });
    expect(texts(stored, current)).toEqual(['command x {file} → x -q {file}']);
  });

  it('an env variable: changed, set, unset, added to or taken out of the key', () => {
    expect(texts(side({ env: { MODE: D1 } }), side({ env: { MODE: D2 } }))).toEqual(['env MODE changed']);
    expect(texts(side({ env: { MODE: null } }), side({ env: { MODE: D2 } }))).toEqual(['env MODE set (was unset)']);
    expect(texts(side({ env: { MODE: D1 } }), side({ env: { MODE: null } }))).toEqual(['env MODE unset (was set)']);
    expect(texts(side({ env: {} }), side({ env: { MODE: D1 } }))).toEqual(['env MODE added to the key']);
    expect(texts(side({ env: { MODE: D1 } }), side({ env: {} }))).toEqual(['env MODE no longer in the key']);
  });

  it('the cachex key format', () => {
    expect(texts(side({ format: 0 }), side())).toEqual(['cachex key format changed']);
  });

  it('several differences come in a stable order, and the miss reason counts the rest', () => {
    const current = side({ version: 2, code: 'e'.repeat(64), params: { resolution: 0.3, file: { digest: D1 } } });
    const diffs = diffKeyInputs(side(), current);
    expect(diffs.map((d) => d.kind)).toEqual(['version', 'code', 'param']);
    expect(missReason(diffs)).toBe('version changed and 2 more');
    expect(missReason([])).toBeNull();
  });
});

describe('rankEntries', () => {
  it('puts the entry with the fewest differences first, and among equals the most recent', () => {
    const current = side({ version: 2, params: { resolution: 0.2, file: { digest: D1 } } });
    const entries = [
      { ...side(), created: '2024-01-03T00:00:00Z', name: 'two differences' },
      { ...side({ version: 2 }), created: '2024-01-01T00:00:00Z', name: 'old, one difference' },
      { ...side({ version: 2 }), created: '2024-01-02T00:00:00Z', name: 'recent, one difference' },
    ];
    const ranked = rankEntries(current, entries);
    expect(ranked.map((r) => r.entry.name)).toEqual([
      'recent, one difference',
      'old, one difference',
      'two differences',
    ]);
    expect(ranked[0].differences.map((d) => d.text)).toEqual(['--resolution 0.1 → 0.2']);
  });
});
