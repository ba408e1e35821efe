/** Library calls a user would write: they compile, with the argument types taken from the function. */
import { cache } from 'cachex';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | undefined {
  return undefined;
}

const processPointCloud = cache(
  async ({ filePath, resolution, debug }: { filePath: string; resolution: number; debug: boolean }, ctx) => {
    assertType<Equal<typeof ctx, { outDir: string; task: string; key: string }>>();
    return { filePath, resolution, debug, points: 3 };
  },
  { name: 'process_point_cloud', defaults: { resolution: 0.1, debug: false }, ignore: ['debug'], version: 1 },
);

export async function uses(): Promise<number> {
  const a = await processPointCloud({ filePath: 'data.pcd', resolution: 0.1 });
  const b = await processPointCloud({ filePath: 'data.pcd' });
  const c = await processPointCloud.make({ force: true, filePath: 'data.pcd', resolution: 0.1 });
  assertType<Equal<typeof a, { filePath: string; resolution: number; debug: boolean; points: number }>>();
  const key: string = processPointCloud.key({ filePath: 'data.pcd' });
  const dir: string | null = processPointCloud.outDir({ filePath: 'data.pcd' });

  // No arguments at all: the call may leave the object out.
  const hello = cache(async function hello() {
    return 'hi';
  });
  const greeting: string = await hello();

  // Every argument optional: the object may be left out.
  const scaled = cache(async function scaled({ x = 1 }: { x?: number }) {
    return x * 2;
  });
  const n: number = await scaled();

  // A declared file param, by its argument name.
  const digest = cache(
    async function digest({ file }: { file: string }) {
      return file;
    },
    { params: { file: { type: 'file', required: true } } },
  );
  await digest({ file: 'a.txt' });

  // cache(options)(fn)
  const wrap = cache({ name: 'curried', ignore: ['verbose'], defaults: { x: 1 } });
  const curried = wrap(async ({ x, verbose }: { x: number; verbose?: boolean }) => (verbose ? x : -x));
  const m: number = await curried();
  return a.points + b.points + c.points + key.length + (dir?.length ?? 0) + greeting.length + n + m;
}
