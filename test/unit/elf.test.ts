import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readDynamicInfo } from '../../src/key/elf.js';
import { bundledLibraries } from '../../src/key/tool.js';
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
