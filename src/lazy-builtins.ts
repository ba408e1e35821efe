import { createRequire } from 'node:module';

/*
 * Builtins that only some runs need, loaded on first use: a command task's
 * hit runs no process, decodes no result and serialises nothing, so it loads
 * none of them (each costs a start a millisecond or more).
 */
let required: NodeJS.Require | undefined;
/** The require function itself is made on first use too: a hit that needs none of these makes none. */
// import.meta.filename where there is one (the CommonJS hit bundle: __filename) spares a URL parse.
const load = (name: string) => (required ??= createRequire(import.meta.filename ?? import.meta.url))(name);

export const crypto = (): typeof import('node:crypto') => load('node:crypto');
export const os = (): typeof import('node:os') => load('node:os');
export const timersPromises = (): typeof import('node:timers/promises') => load('node:timers/promises');
export const childProcess = (): typeof import('node:child_process') => load('node:child_process');
export const v8 = (): typeof import('node:v8') => load('node:v8');
export const zlib = (): typeof import('node:zlib') => load('node:zlib');
export const util = (): typeof import('node:util') => load('node:util');
