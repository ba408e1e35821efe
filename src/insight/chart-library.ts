import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * Chart.js's browser bundle, to be inlined into the report. Its package exports
 * only the module entry points, so the UMD file is found beside them. The
 * source-map comment is dropped: the page must not point at any other file.
 */
export function chartLibrarySource(): string {
  const entry = createRequire(import.meta.url).resolve('chart.js');
  const source = readFileSync(path.join(path.dirname(entry), 'chart.umd.min.js'), 'utf8');
  return source.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
}
