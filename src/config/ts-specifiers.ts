import fs from 'node:fs';
import path from 'node:path';

/** A relative import that jiti's transform left as `jitiImport("./x.js")` (or `.mjs`, `.cjs`, `.jsx`). */
const JS_IMPORT = /\bjitiImport\((["'])(\.{1,2}\/[^"'\\\n]*?\.(c|m)?j(sx?))\1\)/g;
/** The TypeScript source such a specifier names, by jiti's own rule: `.js` → `.ts`, `.mjs` → `.mts`, `.jsx` → `.tsx`. */
const JS_EXTENSION = /\.(c|m)?j(sx?)$/;

const exists = (file: string) => fs.statSync(file, { throwIfNoEntry: false }) !== undefined;

/**
 * Points `./x.js` imports of transformed code at `./x.ts` where that is what jiti would load.
 * TypeScript written for Node's ES modules imports its siblings as `./x.js`; jiti 2.7 finds
 * x.ts only after two full resolution cascades, Node's require.resolve and some 60 failed
 * `stat`s, throwing three resolution errors on the way: about 2 ms per import, 150 ms of a
 * function task's miss for the demo converter's nine files. The answer is jiti's, found
 * directly: a specifier is changed only when neither it nor any name jiti or Node tries
 * before the `.ts` fallback (`x.js` with one of `extensions`, `.json` or `.node` appended)
 * exists, and the `.ts` file does. It is done on every load, after the transpile cache, so
 * a `x.js` created later beside x.ts is picked up as jiti would.
 */
export function pointAtTypeScript(code: string, filename: string | undefined, extensions: readonly string[]): string {
  if (!filename || !code.includes('jitiImport(')) return code;
  const dir = path.dirname(filename);
  return code.replace(JS_IMPORT, (call, quote: string, specifier: string) => {
    const named = path.resolve(dir, specifier);
    if (exists(named) || [...extensions, '.json', '.node'].some((ext) => exists(named + ext))) return call;
    const source = specifier.replace(JS_EXTENSION, '.$1t$2');
    if (!fs.statSync(path.resolve(dir, source), { throwIfNoEntry: false })?.isFile()) return call;
    return `jitiImport(${quote}${source}${quote})`;
  });
}
