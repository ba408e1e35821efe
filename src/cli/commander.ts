import * as CommanderModule from 'commander';

/*
 * Bundled into the full CLI (scripts/build-cli.mjs), so it is compiled from the full CLI's code
 * cache with the rest; the hit path never loads it.
 */
const commander = CommanderModule;

export const { Argument, Command, CommanderError, Option } = commander;
export type Command = CommanderModule.Command;
export type CommanderError = CommanderModule.CommanderError;
export type Option = CommanderModule.Option;
export type Argument = CommanderModule.Argument;
