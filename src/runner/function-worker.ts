/**
 * Runs one config task in a worker thread, so the main thread keeps the lock
 * heartbeat and the spinner alive while the task computes, and the task's
 * console output can be captured byte for byte. The CLI starts it from its
 * CommonJS bundle (dist/cli/function-worker.cjs, see scripts/build-cli.mjs):
 * one file, and no ES-module loader in the worker.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { inspect } from 'node:util';
import { serialize } from 'node:v8';
import { importConfigModule } from '../config/import.js';
import { validateConfig } from '../config/validate.js';
import { stackHeader, userFrame } from '../user-frame.js';

interface WorkerInput {
  configFile: string;
  task: string;
  params: Record<string, unknown>;
  ctx: { outDir: string; task: string; key: string };
  debug?: boolean;
}

// Not top-level await: the bundle is CommonJS. A config that fails to load here rejects, which
// ends the worker with an 'error' event, as a throw at the top level would.
void runTask(workerData as WorkerInput);

async function runTask(input: WorkerInput): Promise<void> {
  const config = validateConfig(await importConfigModule(input.configFile), input.configFile);
  const run = config.tasks[input.task].run!;
  try {
    const value = await run(input.params, input.ctx);
    try {
      const bytes = serialize(value);
      parentPort!.postMessage({ type: 'done', value: bytes }, [bytes.buffer as ArrayBuffer]);
    } catch (err) {
      parentPort!.postMessage({ type: 'unserialisable', message: (err as Error).message });
    }
  } catch (err) {
    // The task failed: print the error and exit 1 (the worker ends without a 'done' message).
    process.stderr.write(describeThrown(err, Boolean(input.debug)));
  }
}

/** Its message and the one frame in the user's code; the whole stack with --debug. */
function describeThrown(err: unknown, debug: boolean): string {
  if (!(err instanceof Error)) return `${inspect(err)} was thrown\n`;
  if (debug) return `${err.stack ?? stackHeader(err)}\n`;
  const frame = userFrame(err.stack);
  return `${stackHeader(err)}\n${frame ? `    ${frame}\n` : ''}`;
}
