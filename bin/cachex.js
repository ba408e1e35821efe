#!/usr/bin/env node
// CommonJS (see package.json here): a hit loads one bundle and no ES-module loader.
// Only a command line with `run` in it can be a hit; any other goes straight to the full CLI.
const argv = process.argv.slice(2);
if (argv.includes('run')) require('../dist/cli/cachex.cjs');
else
  import('../dist/cli/full.mjs').then(async ({ main }) => {
    process.exitCode = await main(argv);
  });
