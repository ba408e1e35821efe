#!/usr/bin/env node
// CommonJS (see package.json here): a hit loads one bundle and no ES-module loader.
// Only a command line with `run` in it can be a hit; any other goes straight to the full CLI,
// also CommonJS (dist/cli/full-cli.cjs, compiled from a code cache by load-full.cjs), so `ls`,
// `prune`, `verify`… start no ES-module loader either.
const argv = process.argv.slice(2);
if (argv.includes('run')) require('../dist/cli/cachex.cjs');
else
  require('../dist/cli/load-full.cjs')
    .loadFullCli(require.resolve('../dist/cli/full-cli.cjs'))
    .main(argv)
    .then((code) => {
      process.exitCode = code;
    });
