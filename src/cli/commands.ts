import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { registerTasks } from './tasks.js';
import { registerConfig } from './config.js';

/** Every command besides `run`; each registers itself and loads its heavy parts lazily. */
export function registerCommands(program: Command, ctx: CliContext): void {
  registerTasks(program, ctx);
  registerConfig(program, ctx);
}
