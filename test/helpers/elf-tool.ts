import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A tiny real tool for the tool-identity tests, compiled with gcc: `mytool` loads
 * `lib/libanswer.so` from its own folder (RUNPATH `$ORIGIN/lib`), which loads
 * `lib/libdeep.so` through its own `$ORIGIN`. `mytool <dir>` writes <dir>/answer.txt and
 * appends a line to $TOOL_LOG; `mytool --version` prints the answer the library gives.
 */
export const HAVE_GCC = spawnSync('gcc', ['--version'], { stdio: 'ignore' }).error === undefined;
export const NO_GCC_REASON = 'skipped: gcc is not installed (the test compiles a small ELF tool and library)';

const MAIN = `#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int answer(void);
const char *answer_tag(void);
int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--version") == 0) { printf("mytool 1.0 (answer %d)\\n", answer()); return 0; }
  if (argc > 1 && strcmp(argv[1], "--fail") == 0) { fprintf(stderr, "no such option\\n"); return 4; }
  if (argc < 2) { fprintf(stderr, "usage: mytool <dir>\\n"); return 2; }
  char file[4096];
  snprintf(file, sizeof file, "%s/answer.txt", argv[1]);
  FILE *out = fopen(file, "w");
  if (!out) return 1;
  fprintf(out, "%d %s\\n", answer(), answer_tag());
  fclose(out);
  const char *log = getenv("TOOL_LOG");
  if (log) { FILE *l = fopen(log, "a"); if (l) { fputs("run\\n", l); fclose(l); } }
  return 0;
}
`;

const answerSource = (answer: number) => `int deep(void);
const char *answer_tag(void) { return "TAG-v1"; }
int answer(void) { return ${answer} + deep(); }
`;

function gcc(args: string[], cwd: string): void {
  const r = spawnSync('gcc', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gcc ${args.join(' ')} failed: ${r.stderr}`);
}

export interface BuildOptions {
  /** what libanswer's answer() adds to libdeep's 0 (default 42) */
  answer?: number;
  /** link with DT_RPATH instead of DT_RUNPATH */
  rpath?: boolean;
}

/** Builds the tool into `<dir>/mytool` and `<dir>/lib/`; returns the executable's path. */
export function buildTool(dir: string, options: BuildOptions = {}): string {
  const src = path.join(dir, 'src');
  mkdirSync(src, { recursive: true });
  mkdirSync(path.join(dir, 'lib'), { recursive: true });
  writeFileSync(path.join(src, 'main.c'), MAIN);
  writeFileSync(path.join(src, 'deep.c'), 'int deep(void) { return 0; }\n');
  writeFileSync(path.join(src, 'answer.c'), answerSource(options.answer ?? 42));
  const tags = options.rpath ? ['-Wl,--disable-new-dtags'] : ['-Wl,--enable-new-dtags'];
  gcc(['-shared', '-fPIC', '-o', '../lib/libdeep.so', 'deep.c'], src);
  gcc(
    ['-shared', '-fPIC', '-o', '../lib/libanswer.so', 'answer.c', '-L../lib', '-ldeep', ...tags, '-Wl,-rpath,$ORIGIN'],
    src,
  );
  gcc(['-o', '../mytool', 'main.c', '-L../lib', '-lanswer', ...tags, '-Wl,-rpath,$ORIGIN/lib'], src);
  return path.join(dir, 'mytool');
}

/** Rebuilds only libanswer.so (e.g. with another answer), leaving the executable as it is. */
export function rebuildLibrary(dir: string, answer: number): void {
  writeFileSync(path.join(dir, 'src', 'answer.c'), answerSource(answer));
  gcc(
    ['-shared', '-fPIC', '-o', '../lib/libanswer.so', 'answer.c', '-L../lib', '-ldeep', '-Wl,-rpath,$ORIGIN'],
    path.join(dir, 'src'),
  );
}

/** Changes one byte of libanswer.so (its tag string "TAG-v1" becomes "TAG-v2"); the library still loads. */
export function patchLibraryByte(dir: string): void {
  const file = path.join(dir, 'lib', 'libanswer.so');
  const bytes = readFileSync(file);
  const at = bytes.indexOf('TAG-v1');
  if (at < 0) throw new Error('libanswer.so has no TAG-v1 string to patch');
  bytes[at + 5] = '2'.charCodeAt(0);
  writeFileSync(file, bytes);
}
