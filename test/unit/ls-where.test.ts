import { describe, expect, it } from 'vitest';
import { keyParamsText, matchesWhere, parseWhere, valueMatches } from '../../src/cli/ls.js';
import { UsageError } from '../../src/errors.js';
import { briefOf } from '../../src/store/brief.js';
import type { EntryMeta } from '../../src/store/meta.js';

const meta = briefOf({
  params: {
    file: { value: '/data/in/cloud.pcd' },
    resolution: { value: 0.1 },
    tags: { value: ['a', 'b c'] },
    debug: { value: false, ignored: true },
  },
  keyInputs: { params: { file: { digest: 'ab' }, resolution: 0.1, tags: ['a', 'b c'] } },
} as unknown as EntryMeta);

describe('ls --where', () => {
  it('splits name=value at the first "=" and refuses a missing name or "="', () => {
    expect(parseWhere(['label=a=b', 'x='])).toEqual([
      { name: 'label', value: 'a=b' },
      { name: 'x', value: '' },
    ]);
    expect(() => parseWhere(['resolution'])).toThrow(UsageError);
    expect(() => parseWhere(['=0.1'])).toThrow(UsageError);
  });

  it('compares numbers by value, so 0.10 matches the stored 0.1 and 0.2 does not', () => {
    expect(valueMatches(0.1, '0.10', false, '/')).toBe(true);
    expect(valueMatches(0.1, '.1', false, '/')).toBe(true);
    expect(valueMatches(0.1, '0.2', false, '/')).toBe(false);
    expect(valueMatches(0, '', false, '/')).toBe(false);
    expect(valueMatches(false, 'false', false, '/')).toBe(true);
    expect(valueMatches(false, '0', false, '/')).toBe(false);
  });

  it('matches a file param by its full path, a path relative to the cwd or its base name', () => {
    expect(valueMatches('/data/in/cloud.pcd', 'cloud.pcd', true, '/')).toBe(true);
    expect(valueMatches('/data/in/cloud.pcd', 'in/cloud.pcd', true, '/data')).toBe(true);
    expect(valueMatches('/data/in/cloud.pcd', 'other.pcd', true, '/data')).toBe(false);
    expect(valueMatches('/data/in/cloud.pcd', 'cloud.pcd', false, '/')).toBe(false);
  });

  it('requires every clause to match, and a list to contain the value', () => {
    expect(matchesWhere(meta, parseWhere(['resolution=0.10', 'file=cloud.pcd']), '/')).toBe(true);
    expect(matchesWhere(meta, parseWhere(['resolution=0.10', 'file=x.pcd']), '/')).toBe(false);
    expect(matchesWhere(meta, parseWhere(['tags=b c']), '/')).toBe(true);
    expect(matchesWhere(meta, parseWhere(['missing=1']), '/')).toBe(false);
    expect(matchesWhere(null, parseWhere(['resolution=0.1']), '/')).toBe(false);
    expect(matchesWhere(null, [], '/')).toBe(true);
  });
});

describe('ls key params column', () => {
  it('shows file params by base name, quotes values with spaces and leaves ignored params out', () => {
    expect(keyParamsText(meta)).toBe('file=cloud.pcd resolution=0.1 tags=a,"b c"');
  });
});
