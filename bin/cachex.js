#!/usr/bin/env node
// CommonJS (see package.json here): a hit loads one bundle and no ES-module loader.
// Only a command line with `run` in it can be a hit; any other goes straight to the full CLI,
// also CommonJS (dist/cli/full-cli.cjs, compiled from a code cache by load-full.cjs), so `ls`,
// `prune`, `verify`… start no ES-module loader either.
const argv = process.argv.slice(2);
if (argv.includes('run')) runHitBundle();
else
  require('../dist/cli/load-full.cjs')
    .loadFullCli(require.resolve('../dist/cli/full-cli.cjs'))
    .main(argv)
    .then((code) => {
      process.exitCode = code;
    });

/**
 * Runs dist/cli/cachex.cjs as require() would, but compiled with V8's code cache when there is a
 * valid one: compiling the 200 KB bundle (and the functions a hit calls) is a quarter of a hit's
 * own time. The cache sits beside the bundle (it is the bundle's code, so it needs no more trust
 * than the bundle: a folder nobody else may write), named for this Node and architecture, and
 * records the bundle's stamp: any change to the bundle (a rebuild, an edit of the same length,
 * which V8's own check would miss) makes it stale. It is written after the first hit that found
 * none (V8 then includes every function the hit compiled), never on a hand-over, and a cache that
 * cannot be read, is stale or is rejected by V8 only means a plain compile. import() cannot run
 * inside vm-compiled code without an experimental option, so the bundle's dynamic imports come
 * back here (__cachexLoader.import). Not shared with src/cli/load-full.ts, which checks a SHA-256 of
 * its cache in the temp folder: loading node:crypto (2.7 ms) or a JavaScript digest of 190 KB (6-16 ms
 * cold) is more than a third of a hit's own time, and that loader is one more module to load.
 */
function runHitBundle() {
  const fs = require('node:fs');
  const path = require('node:path');
  const vm = require('node:vm');
  // Module.createRequire without loading the public node:module (0.15 ms of a hit); handed to the bundle too.
  const { createRequire } = module.constructor;
  const dir = path.join(__dirname, '..', 'dist', 'cli');
  const file = path.join(dir, 'cachex.cjs');
  const cacheFile = path.join(dir, `cachex.cjs.${process.version}-${process.arch}.v8cache`);
  const source = fs.readFileSync(file, 'utf8');
  const st = fs.statSync(file);
  const stamp = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}\n`;
  let cached;
  try {
    const fd = fs.openSync(cacheFile, 'r');
    try {
      const cst = fs.fstatSync(fd);
      // Only a cache owned by this user or the bundle's owner, and writable by nobody else.
      const owner = cst.uid === st.uid || cst.uid === process.getuid?.();
      if (owner && (cst.mode & 0o022) === 0 && cst.size > stamp.length) {
        const bytes = Buffer.allocUnsafe(cst.size);
        if (fs.readSync(fd, bytes, 0, cst.size, 0) === cst.size && bytes.toString('latin1', 0, stamp.length) === stamp)
          cached = bytes.subarray(stamp.length);
      }
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    cached = undefined;
  }
  const wrapper = `(function (exports, require, module, __filename, __dirname, __cachexLoader) {${source}\n})`;
  const script = new vm.Script(wrapper, { filename: file, cachedData: cached });
  const useful = cached !== undefined && !script.cachedDataRejected;
  const bundleModule = { exports: {}, filename: file, id: file, loaded: false };
  const loader = {
    createRequire,
    import: (spec) =>
      import(spec.startsWith('.') ? require('node:url').pathToFileURL(path.resolve(dir, spec)).href : spec),
    /** The bundle answered a hit: keep its compiled code for the next one. */
    answered() {
      if (useful) return;
      try {
        const data = script.createCachedData();
        const temp = `${cacheFile}.${process.pid}.tmp`;
        try {
          fs.writeFileSync(temp, Buffer.concat([Buffer.from(stamp, 'latin1'), data]), { mode: 0o644 });
          fs.renameSync(temp, cacheFile); // whole or not at all, also beside a concurrent hit
        } catch {
          fs.rmSync(temp, { force: true });
        }
      } catch {
        // A folder this user may not write (a system-wide install): every hit compiles, as before.
      }
    },
  };
  script.runInThisContext()(bundleModule.exports, createRequire(file), bundleModule, file, dir, loader);
}
