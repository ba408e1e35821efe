/** tasks/name-bytes.ts and runner/byte-args.ts: non-UTF-8 file names carried in strings and passed to commands. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { spawnArgs } from '../../src/runner/byte-args.js';
import { displayName, escapeName, fsName, hasRawBytes, nameBytes } from '../../src/tasks/name-bytes.js';
import { fromYaml, toYaml } from '../../src/store/meta-yaml.js';

const bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

describe('escaped names (PEP 383 surrogateescape)', () => {
  it('leaves valid UTF-8 alone, so keys of ordinary names do not move', () => {
    for (const name of ['a.pcd', 'café/ü.txt', '日本.txt', '😀 x', '\\xff literal']) {
      expect(escapeName(Buffer.from(name))).toBe(name);
      expect(hasRawBytes(name)).toBe(false);
      expect(fsName(name)).toBe(name);
    }
  });

  it('escapes each byte outside valid UTF-8 as U+DC00 + byte, and gets the same bytes back', () => {
    const raw = bytes('caf', [0xe9], '/x', [0xff], '.pcd');
    const name = escapeName(raw);
    expect(name).toBe('caf\uDCE9/x\uDCFF.pcd');
    expect(hasRawBytes(name)).toBe(true);
    expect(nameBytes(name).equals(raw)).toBe(true);
    expect(displayName(name)).toBe('caf\\xe9/x\\xff.pcd');
  });

  it('round-trips overlong forms, encoded surrogates, truncated sequences and random bytes', () => {
    const cases = [
      [0xc0, 0xaf],
      [0xed, 0xa0, 0x80],
      [0xe2, 0x82],
      [0xf4, 0x90, 0x80, 0x80],
      [0x80],
      [0xf0, 0x9f, 0x98],
    ];
    for (const c of cases) expect(nameBytes(escapeName(Buffer.from(c))).equals(Buffer.from(c))).toBe(true);
    let seed = 7;
    for (let n = 0; n < 500; n++) {
      const buf = Buffer.alloc(1 + (n % 17));
      for (let i = 0; i < buf.length; i++) buf[i] = (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 256;
      expect(nameBytes(escapeName(buf)).equals(buf)).toBe(true);
    }
  });

  it('keeps surrogate pairs (emoji) as characters, not raw bytes', () => {
    expect(hasRawBytes('\uD83D\uDE00')).toBe(false);
  });

  it('survives meta.yaml as an ASCII escape', () => {
    const name = escapeName(bytes('a', [0xff]));
    const text = toYaml({ file: name });
    expect(text).toBe('file: "a\\udcff"\n');
    expect(fromYaml(text)).toEqual({ file: name });
  });
});

describe('spawnArgs', () => {
  it('passes ordinary argv through untouched', () => {
    expect(spawnArgs(['echo', 'a b', '$HOME'])).toEqual({ file: 'echo', args: ['a b', '$HOME'] });
  });

  it('delivers raw bytes and shell-special arguments byte for byte', () => {
    const raw = escapeName(bytes('x', [0xff], '\'%s\\n"$(id)`\n\n'));
    const argv = ['printf', '%s|', raw, '$HOME', "it's", '', 'é\n', ...Array.from({ length: 12 }, (_, i) => `#${i}`)];
    const { file, args } = spawnArgs(argv);
    const out = spawnSync(file, args);
    expect(out.status, String(out.stderr)).toBe(0);
    const expected = Buffer.concat([
      ...[nameBytes(raw), Buffer.from('$HOME'), Buffer.from("it's"), Buffer.from(''), Buffer.from('é\n')].map((b) =>
        Buffer.concat([b, Buffer.from('|')]),
      ),
      ...Array.from({ length: 12 }, (_, i) => Buffer.from(`#${i}|`)),
    ]);
    expect(out.stdout.equals(expected)).toBe(true);
  });
});
