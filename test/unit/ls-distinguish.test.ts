import { describe, expect, it } from 'vitest';
import { distinguishers } from '../../src/cli/ls-distinguish.js';
import type { KeyInputs } from '../../src/key/inputs.js';
import type { EntryMeta } from '../../src/store/meta.js';

const inputs = (over: Partial<KeyInputs>): KeyInputs => ({
  format: 1,
  module: 'tasks',
  task: 'convert',
  kind: 'command',
  version: null,
  command: ['conv', '{file}'],
  executable: { path: '/usr/bin/conv', digest: 'a'.repeat(64) },
  params: { file: { digest: 'f'.repeat(64) } },
  env: {},
  ...over,
});
const entry = (name: string, keyInputs: KeyInputs) => ({ name, meta: { keyInputs } as EntryMeta });

describe('ls distinguishers', () => {
  it('names the key input that tells otherwise identical rows apart', () => {
    const a = entry('a', inputs({}));
    const b = entry('b', inputs({ executable: { path: '/usr/bin/conv', digest: 'b'.repeat(64) } }));
    const found = distinguishers([a, b], () => 'convert file=a.pcd');
    expect(found.get(a)).toEqual(['tool@aaaaaaaa']);
    expect(found.get(b)).toEqual(['tool@bbbbbbbb']);
  });

  it('tells apart by file content, env value or version, and adds nothing to rows that already differ', () => {
    const a = entry('a', inputs({ env: { TOKEN: 'c'.repeat(64) }, version: 1 }));
    const b = entry('b', inputs({ env: { TOKEN: null }, version: 2, params: { file: { digest: 'e'.repeat(64) } } }));
    const found = distinguishers([a, b], () => 'same');
    expect(found.get(a)).toEqual(['version=1', '$TOKEN@cccccccc', 'file@ffffffff']);
    expect(found.get(b)).toEqual(['version=2', '$TOKEN=unset', 'file@eeeeeeee']);
    expect(distinguishers([a, b], (e) => e.name).size).toBe(0);
  });

  it('tells apart command entries run in different folders (folder=unset: stored before the folder was keyed)', () => {
    const a = entry('a', inputs({ workingFolder: 'packages/a' }));
    const b = entry('b', inputs({ workingFolder: 'caf\uDCE9' }));
    const old = entry('old', inputs({}));
    const found = distinguishers([a, b, old], () => 'same');
    expect(found.get(a)).toEqual(['folder=packages/a']);
    expect(found.get(b)).toEqual(['folder=caf\\xe9']);
    expect(found.get(old)).toEqual(['folder=unset']);
  });
});
