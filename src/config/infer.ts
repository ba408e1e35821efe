/**
 * Type-level rules of `defineConfig`: from a task's params schema to the
 * object its `run` receives. Mirrors tasks/params.ts (resolveParams): a
 * required or defaulted param is always present, an unset boolean is false,
 * an unset list is [], any other unset param is absent.
 *
 * Fields of a spec are read by indexed access (`Field`), not by matching the
 * spec against an object type: while TypeScript infers a config, a spec with
 * several fields does not match `{ type: 'number' }` (a quirk of reverse
 * mapped types), but its fields read correctly.
 */
import type { ParamSpec, TaskContext } from './types.js';

type Field<S, F extends string> = F extends keyof S ? S[F] : undefined;

/** The value of one (non-list) param of spec `S`. */
export type ParamScalar<S> =
  Field<S, 'type'> extends 'number' | 'integer'
    ? number
    : Field<S, 'type'> extends 'boolean'
      ? boolean
      : Field<S, 'type'> extends 'enum'
        ? Field<S, 'choices'> extends readonly (infer C)[]
          ? C
          : string
        : string;

/** The value `run` receives for a param of spec `S`. */
export type ParamValueOf<S> = Field<S, 'list'> extends true ? ParamScalar<S>[] : ParamScalar<S>;

type Present<S> =
  Field<S, 'required'> extends true
    ? true
    : 'default' extends keyof S
      ? true
      : Field<S, 'type'> extends 'boolean'
        ? true
        : Field<S, 'list'> extends true
          ? true
          : false;

type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The object a task's `run` receives, from its params schema `P`. */
export type RunArgs<P> = Simplify<
  { -readonly [K in keyof P as Present<P[K]> extends true ? K : never]: ParamValueOf<P[K]> } & {
    -readonly [K in keyof P as Present<P[K]> extends true ? never : K]?: ParamValueOf<P[K]>;
  }
>;

/** A spec as written: the loose shape, with a default that fits the param (one of the choices for an enum). */
type CheckedSpec<S> = ParamSpec & {
  default?: Field<S, 'list'> extends true ? readonly ParamScalar<S>[] : ParamScalar<S>;
};

interface TypedTaskBase<P> {
  description?: string;
  /** Bump to invalidate every entry of this task. */
  version?: number | string;
  /** Folder name under cache/ (default `tasks`). */
  module?: string;
  /** The task's params: each becomes a flag of `cachex run <task>`. */
  params?: P & NoInfer<{ [K in keyof P]: CheckedSpec<P[K]> }>;
  /** Param names that do not enter the key. */
  ignore?: readonly NoInfer<keyof P & string>[];
  /** Environment variables whose values (as digests) enter the key. */
  env?: readonly string[];
  /** Store runs that exit non-zero too (replayed with their exit code). */
  cacheFailures?: boolean;
  /** Paths relative to the output folder that must exist for the run to be stored. */
  outputs?: readonly string[];
}

/** A TypeScript task: `run` gets the params as declared and `ctx.outDir` to write into. */
export interface TypedFunctionTask<P> extends TypedTaskBase<P> {
  run: (params: RunArgs<P>, ctx: TaskContext) => unknown;
  command?: never;
}

/** A command task: argv where `{param}` is one argument, `{out}` the output folder, `${VAR}` an environment variable. */
export interface TypedCommandTask<P> extends TypedTaskBase<P> {
  command: readonly string[];
  run?: never;
}

export type TypedTask<P> = TypedFunctionTask<P> | TypedCommandTask<P>;

/** The `tasks` of a config, each typed by its own params (`P` maps task names to their schemas). */
export type ConfigTasks<P> = { [K in keyof P]: TypedTask<P[K]> };
