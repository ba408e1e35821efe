import {
  copyFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readDynamicInfo } from '../../src/key/elf.js';
import { DigestCache } from '../../src/key/digest.js';
import { bundledLibraries, NO_ORIGIN_LIBRARIES, toolIdentity } from '../../src/key/tool.js';
import { buildTool, HAVE_GCC, NO_GCC_REASON } from '../helpers/elf-tool.js';

const dir = mkdtempSync(path.join(tmpdir(), 'cachex-elf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!HAVE_GCC)(`ELF dynamic sections of a gcc-built tool${HAVE_GCC ? '' : ` — ${NO_GCC_REASON}`}`, () => {
  it('reads DT_NEEDED and DT_RUNPATH of the executable and of its library', () => {
    const exe = buildTool(path.join(dir, 'runpath'));
    const info = readDynamicInfo(exe)!;
    expect(info.needed).toContain('libanswer.so');
    expect(info.needed.some((n) => n.startsWith('libc.so'))).toBe(true);
    expect(info.runpath).toEqual(['$ORIGIN/lib']);
    expect(info.rpath).toBeNull();
    const lib = readDynamicInfo(path.join(dir, 'runpath', 'lib', 'libanswer.so'))!;
    expect(lib.needed).toContain('libdeep.so');
    expect(lib.runpath).toEqual(['$ORIGIN']);
  });

  it('finds the libraries shipped with the tool, through each object’s $ORIGIN, and none of the system’s', () => {
    const root = path.join(dir, 'runpath');
    expect(bundledLibraries(path.join(root, 'mytool')).sort()).toEqual([
      path.join(root, 'lib', 'libanswer.so'),
      path.join(root, 'lib', 'libdeep.so'),
    ]);
  });

  it('reads DT_RPATH (old-style tags) the same way', () => {
    const exe = buildTool(path.join(dir, 'rpath'), { rpath: true });
    const info = readDynamicInfo(exe)!;
    expect(info.rpath).toEqual(['$ORIGIN/lib']);
    expect(info.runpath).toBeNull();
    expect(
      bundledLibraries(exe)
        .map((f) => path.basename(f))
        .sort(),
    ).toEqual(['libanswer.so', 'libdeep.so']);
  });

  it('says nothing about files that are not ELF objects, or are damaged', () => {
    const script = path.join(dir, 'script.sh');
    writeFileSync(script, '#!/bin/sh\necho hi\n');
    expect(readDynamicInfo(script)).toBeNull();
    expect(bundledLibraries(script)).toEqual([]);
    const broken = path.join(dir, 'broken');
    writeFileSync(broken, Buffer.concat([Buffer.from('\x7fELF\x02\x01\x01'), Buffer.alloc(57, 0xff)]));
    expect(readDynamicInfo(broken)).toBeNull();
    expect(readDynamicInfo(path.join(dir, 'missing'))).toBeNull();
  });
});

describe('an executable without $ORIGIN paths is noted beside its digest, not parsed on every hit', () => {
  const identityWith = (exe: string, digests: string) =>
    toolIdentity(exe, undefined, { digests: new DigestCache(digests), cwd: dir, configDir: dir, task: 't' });
  const record = (digests: string) =>
    readdirSync(digests, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => readFileSync(path.join(e.parentPath, e.name), 'utf8'));

  it('keeps the note with the digest of that content, and the identity it gives is the one parsing gives', () => {
    const exe = path.join(dir, 'plain-sh');
    copyFileSync(realpathSync('/bin/sh'), exe);
    utimesSync(exe, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000)); // old enough to be recorded
    const digests = path.join(dir, 'digests-plain');
    const first = identityWith(exe, digests);
    expect(first.tool).toBeUndefined(); // no libraries of its own
    expect(record(digests).join('')).toContain(`\n${NO_ORIGIN_LIBRARIES}\n`);
    const again = new DigestCache(digests);
    again.digest(exe);
    expect(again.hasNote(exe, NO_ORIGIN_LIBRARIES)).toBe(true);
    expect(identityWith(exe, digests)).toEqual(first);
    // Other content under the same path: a new stamp, a new record, no note until it is parsed again.
    writeFileSync(exe, '#!/bin/sh\necho changed\n');
    const changed = new DigestCache(digests);
    changed.digest(exe);
    expect(changed.hasNote(exe, NO_ORIGIN_LIBRARIES)).toBe(false);
  });

  it.skipIf(!HAVE_GCC)('never notes a tool that ships its libraries through $ORIGIN', () => {
    const exe = buildTool(path.join(dir, 'noted-runpath'));
    for (const f of [exe]) utimesSync(f, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    const digests = path.join(dir, 'digests-runpath');
    const first = identityWith(exe, digests);
    expect(first.tool?.libraries?.map((l) => l.path).sort()).toEqual(['lib/libanswer.so', 'lib/libdeep.so']);
    expect(record(digests).join('')).not.toContain(NO_ORIGIN_LIBRARIES);
    expect(identityWith(exe, digests)).toEqual(first);
  });
});
