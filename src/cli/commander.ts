import { createRequire } from 'node:module';
import type * as CommanderModule from 'commander';

/*
 * Loaded with require(): importing a CommonJS package from ESM makes Node scan
 * its source for export names on every start, which a cache hit should not pay.
 */
const commander = createRequire(import.meta.url)('commander') as typeof CommanderModule;

export const { Argument, Command, CommanderError, Option } = commander;
export type Command = CommanderModule.Command;
export type CommanderError = CommanderModule.CommanderError;
export type Option = CommanderModule.Option;
export type Argument = CommanderModule.Argument;
