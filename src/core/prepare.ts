import { minFreeSpace } from '../config/free-space.js';
import type { Settings } from '../config/settings.js';
import { UsageError } from '../errors.js';
import { DigestCache } from '../key/digest.js';
import { computeKey, type KeyInputs } from '../key/inputs.js';
import { openStore, type LocalStore, type RemoteChoice } from '../store/open.js';
import { resolveParams, type Params } from '../tasks/params.js';
import { taskFromSpec, type TaskDef } from '../tasks/task.js';

export interface PreparedRun {
  store: LocalStore;
  task: TaskDef;
  params: Params;
  key: string;
  inputs: KeyInputs;
}

/**
 * From a task name and the given values to a key: defaults applied, values
 * normalised, input files digested. Shared by run, --dry-run, inspect and rebuild.
 */
export async function prepareRun(
  settings: Settings,
  taskName: string,
  given: Record<string, unknown>,
  /** Run paths pass this to put the remote tier in front of the store (others stay local). */
  remote?: Omit<RemoteChoice, 'config'>,
  /** Where the task runs: the current folder, or (rebuild) the folder the entry was stored from. */
  cwd: string = settings.cwd,
): Promise<PreparedRun> {
  const config = await settings.config();
  const spec = config.tasks[taskName];
  if (!spec) throw new UsageError(`Unknown task "${taskName}"; run \`cachex tasks\` to list them.`);
  const task = taskFromSpec(taskName, spec);
  const fileDefaults = (await settings.paramDefaults())[taskName];
  const paramsFile = settings.paramsFile().value;
  const params = resolveParams(task.params, { given, fileDefaults, paramsFile, cwd });
  const store = openStore((await settings.dataFolder()).value, {
    ...(remote && { remote: { ...remote, config: config.remote } }),
    minFreeSpace: minFreeSpace(config),
  });
  const digests = new DigestCache(store.layout.digests);
  const { key, inputs } = computeKey(task, params, { digests, cwd, projectRoot: settings.projectRoot });
  return { store, task, params, key, inputs };
}
