/** `-V` (commander's usual spelling, which cachex had first) means --version too, as `-v` does, before the command. */
export function versionFlag(argv: string[]): string[] {
  const command = argv.findIndex((a) => !a.startsWith('-'));
  return argv.map((a, i) => (a === '-V' && (command < 0 || i < command) ? '--version' : a));
}
