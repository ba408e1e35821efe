import type { Command } from 'commander';
import { ConfigError } from '../errors.js';
import type { TieredStore } from '../store/tiered.js';
import type { CliContext } from './context.js';

/**
 * `cachex remote status|ls|push|pull`: the remote tier by hand. The commands
 * load the remote code only when they run (registering them loads nothing).
 */
export function registerRemote(program: Command, ctx: CliContext): void {
  const remote = program
    .command('remote')
    .description('the remote cache: status (checks the token), ls, push, pull')
    .addHelpText(
      'after',
      `
The remote comes from CACHEX_REMOTE_URL (http(s)://… the Turborepo API, s3://bucket/prefix S3),
CACHEX_REMOTE_TOKEN, CACHEX_REMOTE_TEAM, CACHEX_REMOTE_SIGNING_KEY, CACHEX_REMOTE_NAMESPACE,
CACHEX_REMOTE_READ_ONLY and the config's remote section, as for \`cachex run\`.

Examples:
  cachex remote status
  cachex remote ls
  cachex remote push convert
  cachex remote pull convert --file data.pcd
  cachex remote pull 3f2a9c
`,
    );
  remote
    .command('status')
    .description('show the remote settings (no secrets) and check the token with one request')
    .option('--json', 'print the status as JSON')
    .action(async (opts: { json?: boolean }) => {
      const { remoteStatus } = await import('./remote-status.js');
      process.exitCode = await remoteStatus(await tieredStore(ctx), Boolean(opts.json));
    });
  remote
    .command('ls')
    .description('list what the remote holds for this namespace (S3), or which local entries it has (Turborepo API)')
    .argument('[task]', 'only entries of this task')
    .option('--json', 'print an array of records')
    .action(async (task: string | undefined, opts: { json?: boolean }) => {
      const { remoteLs } = await import('./remote-sync.js');
      process.exitCode = await remoteLs(await tieredStore(ctx), task, Boolean(opts.json));
    });
  remote
    .command('push')
    .description('upload local entries the remote lacks (signed, as after a miss)')
    .argument('[selector]', 'a task name or a key prefix (at least 6 hex characters); default every entry')
    .option('--json', 'print what happened to each entry as JSON')
    .action(async (selector: string | undefined, opts: { json?: boolean }) => {
      const { remotePush } = await import('./remote-sync.js');
      process.exitCode = await remotePush(await tieredStore(ctx), selector, Boolean(opts.json));
    });
  remote
    .command('pull')
    .description('download and import entries, verified as a remote hit is; nothing runs')
    .argument('<target>', 'a task name followed by its flags, or a key prefix (S3 only: the API cannot list)')
    .argument('[flags...]', "the task's flags, exactly as for `cachex run <task>`")
    .option('--json', 'print what happened as JSON')
    .allowUnknownOption()
    .action(async (target: string, flags: string[], opts: { json?: boolean }) => {
      const { remotePull } = await import('./remote-sync.js');
      process.exitCode = await remotePull(ctx, await tieredStore(ctx), target, flags, Boolean(opts.json));
    });
}

/** The tiered store of this data folder; a ConfigError when no remote is configured. */
async function tieredStore(ctx: CliContext): Promise<TieredStore> {
  const store = await ctx.store({ disabled: false });
  const { TieredStore } = await import('../store/tiered.js');
  if (store instanceof TieredStore) return store;
  const off = process.env.CACHEX_REMOTE?.trim().toLowerCase() === 'off';
  throw new ConfigError(
    off
      ? 'The remote is turned off by CACHEX_REMOTE=off; unset it to use `cachex remote`.'
      : 'No remote is configured; set CACHEX_REMOTE_URL (http(s)://… for the Turborepo API, s3://bucket/prefix for S3).',
  );
}
