/**
 * Module hooks for loading a `.mjs` (or `"type": "module"` `.js`) config by plain import():
 * registered by esm-config.ts, they run on Node's module-hooks thread. They point
 * `import … from 'cachex'` at the light config entry (as jiti's alias does for TypeScript configs)
 * and note every module the ES-module loader resolves, which the load tracer cannot see (the
 * loader reads files through Node's internals, not `fs`). The notes are taken by importing
 * `cachex-esm-trace:take?<n>`, answered in the same channel as the imports themselves, so none
 * can be missing when the answer arrives.
 */
interface Context {
  parentURL?: string;
}
type Next = (specifier: string, context: Context) => Promise<{ url: string }>;

let entry = '';
let TAKE = '\0';
/** [specifier, parent URL or '', resolved URL] of every resolution since the last take. */
let seen: [string, string, string][] = [];

export function initialize(data: { entry: string; take: string }): void {
  entry = data.entry;
  TAKE = data.take;
}

export async function resolve(specifier: string, context: Context, next: Next) {
  if (specifier.startsWith(TAKE)) {
    const taken = JSON.stringify(seen);
    seen = [];
    return { url: `data:text/javascript,export default ${encodeURIComponent(taken)}`, shortCircuit: true };
  }
  if (specifier === 'cachex') {
    seen.push([specifier, context.parentURL ?? '', entry]);
    return { url: entry, shortCircuit: true };
  }
  const resolved = await next(specifier, context);
  seen.push([specifier, context.parentURL ?? '', resolved.url]);
  return resolved;
}
