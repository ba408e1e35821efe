import { describe, expect, it } from 'vitest';
import { renderTable } from '../../src/output/table.js';

const plain = { isTTY: false } as NodeJS.WriteStream;
const terminal = { isTTY: true, columns: 120 } as NodeJS.WriteStream;
const spec = {
  head: ['task', 'key', 'size'],
  rows: [
    ['convert', 'abc', '12 kB'],
    ['x', 'abcdef', '1 B'],
  ],
  align: ['left', 'left', 'right'] as const,
};

describe('tables', () => {
  it('are plain aligned columns two spaces apart off a terminal, numbers right-aligned', async () => {
    expect(await renderTable({ ...spec, align: [...spec.align] }, plain)).toBe(
      'task     key      size\nconvert  abc     12 kB\nx        abcdef    1 B\n',
    );
  });

  it('are boxed at a terminal, in the compact look ls has always had', async () => {
    const prev = { ci: process.env.CI, noColor: process.env.NO_COLOR };
    delete process.env.CI;
    process.env.NO_COLOR = '1';
    try {
      expect(await renderTable({ ...spec, align: [...spec.align] }, terminal)).toBe(
        [
          '┌─────────┬────────┬───────┐',
          '│ task    │ key    │  size │',
          '├─────────┼────────┼───────┤',
          '│ convert │ abc    │ 12 kB │',
          '│ x       │ abcdef │   1 B │',
          '└─────────┴────────┴───────┘',
          '',
        ].join('\n'),
      );
    } finally {
      if (prev.ci !== undefined) process.env.CI = prev.ci;
      if (prev.noColor === undefined) delete process.env.NO_COLOR;
      else process.env.NO_COLOR = prev.noColor;
    }
  });

  it('lay out 20 000 rows in linear time (well under a second; cli-table3 took seconds)', async () => {
    const rows = (n: number) => Array.from({ length: n }, (_, i) => ['convert', `k${i}`, 'file=a.pcd', '1 kB']);
    const time = async (n: number) => {
      const started = performance.now();
      await renderTable({ head: ['task', 'key', 'params', 'size'], rows: rows(n) }, plain);
      return performance.now() - started;
    };
    await time(1000);
    const small = await time(2000);
    const large = await time(20_000);
    // Quadratic layout would make 10× the rows cost ~100×; allow generous noise for a busy machine.
    expect(large).toBeLessThan(Math.max(small * 40, 2000));
  });
});
