import type { Command } from 'commander';
import { flagName } from '../tasks/flags.js';
import type { CliContext } from './context.js';

export function registerTasks(program: Command, ctx: CliContext): void {
  program
    .command('tasks')
    .description('list the registered tasks with their params, defaults and ignore lists')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const config = await (await ctx.settings()).config();
      if (opts.json) {
        const tasks = Object.entries(config.tasks).map(([name, t]) => ({
          name,
          kind: t.command ? 'command' : 'function',
          description: t.description ?? null,
          version: t.version ?? null,
          module: t.module ?? 'tasks',
          params: t.params ?? {},
          ignore: t.ignore ?? [],
          env: t.env ?? [],
          command: t.command ?? null,
        }));
        process.stdout.write(`${JSON.stringify(tasks, null, 2)}\n`);
        return;
      }
      const lines: string[] = [];
      for (const [name, t] of Object.entries(config.tasks)) {
        lines.push(`${name}${t.description ? ` — ${t.description}` : ''}`);
        lines.push(
          `  ${t.command ? `command: ${t.command.join(' ')}` : 'TypeScript function'}${t.version !== undefined ? `, version ${t.version}` : ''}`,
        );
        for (const [param, spec] of Object.entries(t.params ?? {})) {
          const bits = [spec.type === 'enum' ? `enum(${spec.choices!.join('|')})` : spec.type];
          if (spec.list) bits.push('list');
          if (spec.required) bits.push('required');
          if (spec.default !== undefined) bits.push(`default ${JSON.stringify(spec.default)}`);
          if (t.ignore?.includes(param)) bits.push('ignored in key');
          if (spec.keyBy) bits.push(`keyBy ${spec.keyBy}`);
          lines.push(`  --${flagName(param)}  ${bits.join(', ')}${spec.description ? ` — ${spec.description}` : ''}`);
        }
        if (t.env?.length) lines.push(`  env in key: ${t.env.join(', ')}`);
        lines.push('');
      }
      process.stdout.write(`${lines.join('\n')}`);
    });
}
