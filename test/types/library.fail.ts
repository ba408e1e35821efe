/** Library mistakes tsc must catch: each line after @ts-expect-error has to be an error (an unused directive fails). */
import { cache } from 'cachex';

const f = cache(
  async ({ filePath, resolution, verbose }: { filePath: string; resolution: number; verbose: boolean }) =>
    `${filePath}${resolution}${verbose}`,
  { name: 'f', defaults: { resolution: 0.1, verbose: false }, ignore: ['verbose'] },
);

export async function mistakes(): Promise<void> {
  // @ts-expect-error filePath is required: the call needs its argument object
  await f();
  // @ts-expect-error filePath is required
  await f({ resolution: 0.2 });
  // @ts-expect-error resolution is a number
  await f({ filePath: 'a', resolution: '0.2' });
  // @ts-expect-error `resoluton` is not an argument
  await f({ filePath: 'a', resoluton: 0.2 });
  // @ts-expect-error filePath is required in make() too
  await f.make({ force: true });
}

/*
 * Options that name what the function does not take: the result cannot be
 * called, and the error says why (e.g. "ignore names verbos, which the
 * function does not take"). The function's ctx is left unannotated, as users
 * write it.
 */
export async function wrongOptions(): Promise<void> {
  const g = cache(async ({ verbose }: { verbose: boolean }, ctx) => verbose && ctx.outDir, {
    name: 'g',
    ignore: ['verbos'],
  });
  // @ts-expect-error `verbos` is not an argument of the function
  await g({ verbose: true });

  const h = cache(async ({ verbose, n }: { verbose: boolean; n: number }) => verbose && n > 0, {
    name: 'h',
    defaults: { n: 1, verbos: true },
  });
  // @ts-expect-error `verbos` is not an argument of the function
  await h({ verbose: true });

  const i = cache(async ({ n }: { n: number }, ctx) => n + ctx.key.length, { name: 'i', defaults: { n: 'one' } });
  // @ts-expect-error a default of the wrong type
  await i({});

  const j = cache(async ({ file }: { file: string }) => file, { name: 'j', params: { fil: { type: 'file' } } });
  // @ts-expect-error `fil` is not an argument of the function
  await j({ file: 'a' });

  const l = cache({ name: 'l', ignore: ['verbos'] })(async ({ x, verbose }: { x: number; verbose?: boolean }) =>
    verbose ? x : 0,
  );
  // @ts-expect-error the preset ignores `verbos`, which the function does not take
  await l({ x: 1 });
}

cache(async ({ x }: { x: number }) => x, {
  name: 'k',
  // @ts-expect-error `verson` is not an option
  verson: 2,
});
