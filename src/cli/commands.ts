import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { registerTasks } from './tasks.js';
import { registerConfig } from './config.js';
import { registerLs } from './ls.js';
import { registerInspect } from './inspect.js';
import { registerVerify } from './verify.js';
import { registerPrune } from './prune.js';
import { registerRebuild } from './rebuild.js';
import { registerExec } from './exec.js';
import { registerInit } from './init.js';
import { registerCompletion } from './completion.js';
import { registerWhy } from './why.js';
import { registerStats } from './stats.js';
import { registerReportHtml } from './report-html.js';
import { registerRemote } from './remote.js';

/** Every command besides `run`; each registers itself and loads its heavy parts lazily. */
export function registerCommands(program: Command, ctx: CliContext): void {
  registerTasks(program, ctx);
  registerConfig(program, ctx);
  registerLs(program, ctx);
  registerInspect(program, ctx);
  registerVerify(program, ctx);
  registerPrune(program, ctx);
  registerRebuild(program, ctx);
  registerExec(program, ctx);
  registerInit(program);
  registerCompletion(program);
  registerWhy(program, ctx);
  registerStats(program, ctx);
  registerReportHtml(program, ctx);
  registerRemote(program, ctx);
}
