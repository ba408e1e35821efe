/**
 * The starter config `cachex init` writes: one TypeScript task and one command
 * task, each commented, that run in any folder (the command task needs only
 * `tar`). Valid as TypeScript and as JavaScript, so `--js` writes the same text.
 */
export const STARTER_TASK = 'count';

export function starterConfig(): string {
  return `// cachex tasks of this project. \`npx cachex tasks\` lists them; \`npx cachex run <task> --help\` shows a task's flags.
// A task runs once per key — its params, the contents of its input files, its code or program — and
// \`cachex run\` replays the stored result, logs and output files after that. The store is .cachex/
// beside this file (DATA_FOLDER in the environment or in .env moves it).
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { defineConfig } from 'cachex';

export default defineConfig({
  tasks: {
    // A TypeScript task: \`run\` gets the params (typed from \`params\`) and ctx.outDir, an empty folder
    // for its output files. What it returns is stored and printed again on a hit.
    count: {
      description: 'Count the lines and words of a text file',
      version: 1, // bump to invalidate every stored result of this task (editing \`run\` does too)
      params: {
        file: { type: 'file', required: true, description: 'text file to count' }, // keyed by its content
        verbose: { type: 'boolean', default: false, description: 'say which file is counted' },
      },
      ignore: ['verbose'], // does not change the result, so it is not part of the key
      run: async ({ file, verbose }, ctx) => {
        if (verbose) console.error(\`counting \${file}\`);
        const text = await readFile(file, 'utf8');
        const counts = {
          file: path.basename(file),
          lines: text.split('\\n').length - 1,
          words: text.split(/\\s+/).filter(Boolean).length,
        };
        await writeFile(path.join(ctx.outDir, 'counts.json'), \`\${JSON.stringify(counts, null, 2)}\\n\`);
        console.log(\`\${counts.file}: \${counts.lines} lines, \${counts.words} words\`);
        return counts;
      },
    },

    // A command task: an external program, started without a shell. \`{dir}\` becomes exactly one
    // argument (the param's value), \`{out}\` the output folder, and \`\${NAME}\` would be an environment
    // variable. The program's own content is part of the key, so upgrading it invalidates.
    archive: {
      description: 'Pack a folder into archive.tar.gz',
      params: {
        dir: { type: 'dir', required: true, description: 'folder to pack' }, // keyed by its whole tree
      },
      command: ['tar', '-czf', '{out}/archive.tar.gz', '-C', '{dir}', '.'],
      outputs: ['archive.tar.gz'], // stored only when the program wrote it
    },
  },
});
`;
}
