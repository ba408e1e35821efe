import { hasRawBytes, nameBytes } from '../tasks/name-bytes.js';

/**
 * What to spawn so that every element of `argv` reaches the program byte for
 * byte. Node encodes each argument as UTF-8, so one carrying raw bytes (a file
 * name that is not UTF-8, escaped as in name-bytes.ts) cannot be passed as a
 * string: a POSIX shell builds it from printf octal escapes and execs the
 * program. The script itself is ASCII; every other argument goes through as a
 * positional parameter, so no shell ever parses the task's arguments.
 */
export function spawnArgs(argv: readonly string[]): { file: string; args: string[] } {
  if (!argv.some(hasRawBytes)) return { file: argv[0], args: argv.slice(1) };
  const setup: string[] = [];
  const words: string[] = [];
  const passed: string[] = [];
  argv.forEach((arg, i) => {
    if (!hasRawBytes(arg)) {
      passed.push(arg);
      words.push(`"\${${passed.length}}"`);
      return;
    }
    // Every byte as a three-digit octal escape, and an x so that $(…) keeps trailing newlines.
    const octal = [...nameBytes(arg)].map((b) => `\\${b.toString(8).padStart(3, '0')}`).join('');
    setup.push(`a${i}=$(printf '${octal}x'); a${i}=\${a${i}%x}`);
    words.push(`"$a${i}"`);
  });
  return { file: '/bin/sh', args: ['-c', `${setup.join('; ')}; exec ${words.join(' ')}`, 'sh', ...passed] };
}
