import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { fromYaml, toYaml } from '../../src/store/meta-yaml.js';

const sample = {
  format: 1,
  task: 'convert',
  'key with space': 'a: b # not a comment',
  params: { file: { value: '/x/y z.pcd' }, resolution: { value: 0.1, ignored: true } },
  emptyMap: {},
  emptyList: [],
  outputs: [
    { path: 'cloud.pcd', size: 12, digest: 'ab' },
    { path: 'we"ird\nname', type: 'dir' },
  ],
  command: ['conv', '{out}', '-o', '- x', 'k: v', '$(id)'],
  nested: [[1, 2], [{ a: 1 }], []],
  nothing: null,
  unicode: '✓ ünïcödé 𝄞',
  big: 1e21,
  negative: -0.5,
};

describe('meta.yaml subset', () => {
  it('reads back exactly what it writes', () => {
    expect(fromYaml(toYaml(sample))).toEqual(sample);
  });

  it('writes YAML that the full YAML library reads the same way', () => {
    expect(parse(toYaml(sample))).toEqual(sample);
  });

  it('writes the lists named flat one record per line, read back the same by both readers', () => {
    const text = toYaml(sample, new Set(['outputs']));
    expect(text).toContain('outputs:\n  - {"path":"cloud.pcd","size":12,"digest":"ab"}\n  - {"path":"we\\"ird\\nname"');
    expect(text.split('\n').filter((l) => l.startsWith('  - {')).length).toBe(2);
    expect(fromYaml(text)).toEqual(sample);
    expect(parse(text)).toEqual(sample);
    // Entries written before, one line per field, read as the same records.
    expect(fromYaml(toYaml(sample))).toEqual(fromYaml(text));
  });

  it('declines hand-written YAML outside the subset so the caller can fall back', () => {
    expect(fromYaml('task: convert\n')).toBeUndefined(); // bare string scalar
    expect(fromYaml('# comment\nformat: 1\n')).toBeUndefined();
    expect(fromYaml('a: [1, 2\n')).toBeUndefined();
  });
});
