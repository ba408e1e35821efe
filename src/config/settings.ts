import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, StoreError } from '../errors.js';
import { loadDotenv } from './dotenv.js';
import { CONFIG_NAMES, findConfigFile, findParamsFile } from './find.js';
import { type Loaded, savable } from './manifest.js';
import { findProjectRoot, type ProjectRoot } from './project-root.js';
import type { CachexConfig } from './types.js';
import { validateConfig } from './validate.js';

export interface Setting<T> {
  value: T;
  source: string;
}

export interface GlobalOptions {
  config?: string;
  dataFolder?: string;
  params?: string;
  cwd?: string;
}

/**
 * A data folder that is a file (or lies under one) would fail every read as
 * "missing" and every write as ENOTDIR: say so once, before anything else.
 * A folder that does not exist yet is fine: the first write creates it.
 */
/** "cachex.config.ts, .mts, .js or .mjs": every name the search tried. */
function configNames(): string {
  const [first, ...others] = CONFIG_NAMES;
  const extensions = others.map((name) => name.slice(name.lastIndexOf('.')));
  return `${first}, ${extensions.slice(0, -1).join(', ')} or ${extensions.at(-1)}`;
}

function checkDataFolder(setting: Setting<string>): void {
  let problem: string;
  try {
    if (statSync(setting.value).isDirectory()) return;
    problem = 'is a file';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOTDIR') return;
    problem = 'lies under a file';
  }
  throw new StoreError(
    `The data folder ${setting.value} (from ${setting.source}) ${problem}, not a folder; point --data-folder or DATA_FOLDER at a folder.`,
  );
}

/** Every resolved setting with where it came from; the config itself loads lazily. */
export class Settings {
  readonly cwd: string;
  readonly configFile: Setting<string | null>;
  readonly projectRoot: string;
  /** Which rule found the project root: the config's folder, the nearest package.json's, or the cwd. */
  readonly projectRootRule: ProjectRoot['rule'];
  private readonly dotenvNames: Set<string>;
  private readonly options: GlobalOptions;
  private loaded: CachexConfig | null = null;
  /** What the config load read, for saving a manifest (null: not loaded here, or not savable). */
  private traced: Loaded | null = null;
  private paramsCache: Record<string, Record<string, unknown>> | null = null;
  private paramsFound: string | null | undefined;

  private constructor(
    options: GlobalOptions,
    configFile: Setting<string | null>,
    root: ProjectRoot,
    dotenvNames: Set<string>,
  ) {
    this.options = options;
    this.cwd = options.cwd ?? process.cwd();
    this.configFile = configFile;
    this.projectRoot = root.dir;
    this.projectRootRule = root.rule;
    this.dotenvNames = dotenvNames;
  }

  static async resolve(options: GlobalOptions): Promise<Settings> {
    const cwd = options.cwd ?? process.cwd();
    let configFile: Setting<string | null>;
    if (options.config) {
      const file = path.resolve(cwd, options.config);
      try {
        readFileSync(file);
      } catch {
        throw new ConfigError(`The config file ${options.config} given with --config does not exist; check the path.`);
      }
      configFile = { value: file, source: '--config' };
    } else {
      const found = findConfigFile(cwd);
      configFile = found
        ? { value: found, source: 'found walking up from the current folder' }
        : { value: null, source: 'none found' };
    }
    const root = findProjectRoot(cwd, configFile.value);
    const dotenvNames = await loadDotenv(root.dir);
    return new Settings(options, configFile, root, dotenvNames);
  }

  private envSource(name: string): string {
    return this.dotenvNames.has(name) ? '.env' : 'environment';
  }

  /**
   * Data folder precedence: --data-folder, DATA_FOLDER (env, then .env), config, default.
   * A relative DATA_FOLDER from the environment is relative to the cwd (as the shell
   * would have it); one from .env was resolved against the .env's folder when loaded.
   */
  async dataFolder(): Promise<Setting<string>> {
    const setting = await this.findDataFolder();
    checkDataFolder(setting);
    return setting;
  }

  private async findDataFolder(): Promise<Setting<string>> {
    if (this.options.dataFolder)
      return { value: path.resolve(this.cwd, this.options.dataFolder), source: '--data-folder' };
    const env = process.env.DATA_FOLDER;
    if (env) return { value: path.resolve(this.cwd, env), source: `DATA_FOLDER (${this.envSource('DATA_FOLDER')})` };
    if (this.configFile.value) {
      const config = await this.config();
      if (config.dataFolder)
        return { value: path.resolve(this.projectRoot, config.dataFolder), source: 'dataFolder in the config' };
    }
    return { value: path.join(this.projectRoot, '.cachex'), source: 'default (<project root>/.cachex)' };
  }

  potreeConverter(): Setting<string | null> {
    const value = process.env.POTREE_CONVERTER;
    return value
      ? { value, source: `POTREE_CONVERTER (${this.envSource('POTREE_CONVERTER')})` }
      : { value: null, source: 'unset' };
  }

  /** Looked for once: a run reads the file's defaults and then names the file in its params' origins. */
  paramsFile(): Setting<string | null> {
    if (this.options.params) return { value: path.resolve(this.cwd, this.options.params), source: '--params' };
    if (this.paramsFound === undefined) this.paramsFound = findParamsFile(this.projectRoot);
    const found = this.paramsFound;
    return found ? { value: found, source: 'beside the config' } : { value: null, source: 'none' };
  }

  get hasConfig(): boolean {
    return this.configFile.value !== null;
  }

  /** The loaded, validated config; a clear error when there is none. */
  async config(): Promise<CachexConfig> {
    if (this.loaded) return this.loaded;
    const file = this.configFile.value;
    if (!file) {
      throw new ConfigError(
        `No ${configNames()} found in this folder or any parent; create one with \`npx cachex init\`, or pass --config <file>.`,
      );
    }
    // Loaded here, not with this module: a hit from the saved config (fast-hit.ts) never loads a config file.
    const [{ traceLoad }, { configLoader }] = await Promise.all([import('./load-trace.js'), import('./import.js')]);
    const startedMs = Date.now();
    const load = await configLoader(file);
    const { value, trace } = await traceLoad(load);
    this.loaded = validateConfig(value, file);
    this.traced = savable(this.loaded, file, startedMs, trace);
    return this.loaded;
  }

  /** Takes a config saved by an earlier load (config/manifest.ts) instead of loading the file. */
  adoptConfig(config: CachexConfig): void {
    this.loaded = config;
  }

  /** The finished load of this process, when it can be saved as a manifest. */
  get loadToSave(): Loaded | null {
    return this.traced;
  }

  /** The data folder unless the config names one: where a saved config is looked for before any is loaded. */
  dataFolderBeforeConfig(): string {
    if (this.options.dataFolder) return path.resolve(this.cwd, this.options.dataFolder);
    const env = process.env.DATA_FOLDER;
    if (env) return path.resolve(this.cwd, env);
    return path.join(this.projectRoot, '.cachex');
  }

  /** Per-task defaults from the params file (`convert: { resolution: 0.2 }`). */
  async paramDefaults(): Promise<Record<string, Record<string, unknown>>> {
    if (this.paramsCache) return this.paramsCache;
    const file = this.paramsFile().value;
    if (!file) return (this.paramsCache = {});
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new ConfigError(`The params file ${file} cannot be read; check the path given with --params.`);
    }
    let data: unknown;
    try {
      data = file.endsWith('.json') ? JSON.parse(text) : (await import('yaml')).parse(text);
    } catch (err) {
      throw new ConfigError(
        `The params file ${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}.`,
      );
    }
    data ??= {};
    if (typeof data !== 'object' || Array.isArray(data))
      throw new ConfigError(`The params file ${file} must map task names to their param defaults.`);
    const config = await this.config();
    for (const [task, values] of Object.entries(data as Record<string, unknown>)) {
      const spec = config.tasks[task];
      if (!spec)
        throw new ConfigError(
          `The params file ${file} sets defaults for "${task}", which is not a task; remove it or fix the name.`,
        );
      if (!values || typeof values !== 'object')
        throw new ConfigError(`The params file ${file} must give "${task}" an object of param values.`);
      for (const name of Object.keys(values)) {
        if (!spec.params || !(name in spec.params))
          throw new ConfigError(`The params file ${file} sets "${task}.${name}", which is not a param of ${task}.`);
      }
    }
    return (this.paramsCache = data as Record<string, Record<string, unknown>>);
  }
}
