#!/usr/bin/env node
// CommonJS (see package.json here): a hit loads one bundle and no ES-module loader.
require('../dist/cli/cachex.cjs');
