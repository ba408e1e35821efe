/**
 * The config's shape (src/config/validate.ts validateConfig), on the value a config file exports.
 * These cases moved from spawn-per-case e2e tests (config-keys.test.ts: a misspelt task option, a
 * misspelt param option, a key far from every valid one; config.test.ts: a param whose flag clashes
 * with a cachex option); config-keys.test.ts keeps the misspelt top-level key, for every command
 * that loads the config, to prove the CLI refuses such a config with exit 3 and one sentence.
 */
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/validate.js';
import { ConfigError } from '../../src/errors.js';

const FILE = '/p/cachex.config.ts';

/** The config config-keys.test.ts writes: one counting TS task with a number param, plus one stray key. */
function config(parts: { top?: object; task?: object; param?: object } = {}): unknown {
  return {
    ...parts.top,
    tasks: {
      count: {
        ...parts.task,
        params: { n: { type: 'number', default: 1, ...parts.param } },
        run: async ({ n }: { n: number }) => n,
      },
    },
  };
}

function refused(value: unknown, message: RegExp): void {
  const attempt = () => validateConfig(value, FILE);
  expect(attempt).toThrow(ConfigError);
  expect(attempt).toThrow(message);
}

describe('unknown config keys', () => {
  it('the config without a stray key is valid', () => {
    expect(Object.keys(validateConfig(config(), FILE).tasks)).toEqual(['count']);
  });

  it('a misspelt task option names the key, the task and the nearest option', () =>
    refused(
      config({ task: { ignroe: ['n'] } }),
      /task "count": "ignroe" is not a task option \(did you mean "ignore"\?\); rename or remove it\./,
    ));

  it('a misspelt param option names the param and the nearest option', () =>
    refused(
      config({ param: { descripton: 'how many' } }),
      /task "count", param "n": "descripton" is not a param option \(did you mean "description"\?\)/,
    ));

  it('a misspelt top-level key names the nearest key', () =>
    refused(
      config({ top: { datafolder: 'elsewhere' } }),
      /cachex\.config\.ts: "datafolder" is not a config key \(did you mean "dataFolder"\?\)/,
    ));

  it('a key far from every valid one lists the valid ones', () =>
    refused(
      config({ task: { retries: 3 } }),
      /"retries" is not a task option; use one of description, version, module, params, ignore/,
    ));
});

describe('param flags', () => {
  it('refuses a param whose flag clashes with a cachex option', () =>
    refused(
      { tasks: { t: { params: { force: { type: 'boolean' } }, run: () => 1 } } },
      /param "force": --force clashes with a cachex option; rename the param/,
    ));
});

// Moved from e2e auto-prune.test.ts ("refuses a maxSize that is not a size") and run-insight.test.ts
// ("refuses a task maxAge that is not a duration"): the same sentences.
describe('sizes and durations in the config', () => {
  it('refuses a maxSize that is not a size', () =>
    refused(config({ top: { maxSize: 'lots' } }), /`maxSize` must be a size such as '5GB'/));

  it('refuses a task maxAge that is not a duration', () =>
    refused(config({ task: { maxAge: 'often' } }), /`maxAge` must be a duration such as '2h'/));
});
