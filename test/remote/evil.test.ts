import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatMeta, type EntryMeta, type OutputRecord, parseMeta } from '../../src/store/meta.js';
import { sealMeta } from '../../src/store/meta-digest.js';
import { HEADER_NAME, makeHeader, planMembers } from '../../src/store/remote/artifact-format.js';
import { importArtifact } from '../../src/store/remote/artifact-import.js';
import { ApiBackend } from '../../src/store/remote/api-backend.js';
import { RemotePolicy } from '../../src/store/remote/policy.js';
import { Workspace } from '../helpers/cli.js';
import {
  listTree,
  type MadeEntry,
  makeEntry,
  remoteEnv,
  SIGNING_KEY,
  settingsFrom,
  stagingIn,
  tierFor,
} from '../helpers/remote-entries.js';
import { startApiServer } from '../helpers/remote-servers.js';

/**
 * Validly signed archives built to escape or exhaust: the signature only says
 * who wrote it, not that it is harmless. Each is refused with nothing written
 * outside the staging folder (which is left empty), and memory stays bounded.
 */
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const KEY = Buffer.from(SIGNING_KEY);

let ws: Workspace;
let entry: MadeEntry;
let baseMeta: EntryMeta;

beforeAll(async () => {
  ws = new Workspace('cachex-evil-');
  entry = await makeEntry(ws);
  baseMeta = await parseMeta(readFileSync(path.join(entry.dir, 'meta.yaml'), 'utf8'));
});
afterAll(() => ws.cleanup());

/** A raw ustar header: lets a member claim any size or type, whatever follows it. */
function ustar(name: string, size: number, type = '0', linkname = ''): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100);
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write(type, 156);
  h.write(linkname, 157, 100);
  h.write('ustar\x0000', 257);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

function member(name: string, data: Buffer, type = '0', linkname = '', claim?: number): Buffer {
  const pad = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([ustar(name, claim ?? data.length, type, linkname), data, pad]);
}

interface Craft {
  outputs?: (o: OutputRecord[]) => OutputRecord[];
  /** Members after meta.yaml; default: the honest ones from the plan. */
  members?: (honest: Buffer[], meta: EntryMeta) => Buffer[];
  trailer?: Buffer;
}

async function craft(c: Craft): Promise<Buffer> {
  const meta: EntryMeta = structuredClone(baseMeta);
  if (c.outputs) meta.outputs = c.outputs(meta.outputs);
  const metaText = Buffer.from(sealMeta(await formatMeta(meta)));
  const header = makeHeader(entry.ref, 'main', sha(metaText), metaText.length, KEY);
  const plan = planMembers(meta);
  const honest =
    typeof plan === 'string'
      ? []
      : plan.map((m) => {
          const file = path.join(entry.dir, m.target);
          return member(m.name, existsSync(file) ? readFileSync(file) : Buffer.alloc(m.size));
        });
  const rest = c.members ? c.members(honest, meta) : honest;
  const tar = Buffer.concat([
    member(HEADER_NAME, Buffer.from(JSON.stringify(header))),
    member('meta.yaml', metaText),
    ...rest,
    Buffer.alloc(1024),
  ]);
  return gzipSync(c.trailer ? Buffer.concat([tar, c.trailer]) : tar, { level: 1 });
}

const file = (p: string, data: string): OutputRecord => ({
  path: p,
  type: 'file',
  size: data.length,
  mode: 0o644,
  digest: sha(data),
});

const outside = () => path.join(ws.dir, 'escaped.txt');

const cases: { name: string; craft: () => Promise<Buffer>; reason: RegExp }[] = [
  {
    name: 'an output path with ..',
    craft: () =>
      craft({
        outputs: (o) => [...o, file('../../escaped.txt', 'evil')],
        members: (h) => [...h, member('out/../../escaped.txt', Buffer.from('evil'))],
      }),
    reason: /unsafe output path/,
  },
  {
    name: 'an absolute output path',
    craft: () =>
      craft({
        outputs: (o) => [...o, file(outside(), 'evil')],
        members: (h) => [...h, member(`out/${outside()}`, Buffer.from('evil'))],
      }),
    reason: /unsafe output path/,
  },
  {
    name: 'a symlink pointing out of the outputs',
    craft: () =>
      craft({ outputs: (o) => [...o, { path: 'esc', type: 'symlink', size: 0, mode: 0o777, target: '../../..' }] }),
    reason: /symlink esc that points outside/,
  },
  {
    name: 'a file written through a symlink',
    craft: () =>
      craft({
        outputs: (o) => [
          ...o,
          { path: 'ln', type: 'symlink', size: 0, mode: 0o777, target: 'sub' },
          file('ln/x.txt', 'evil'),
        ],
      }),
    reason: /outside a listed folder/,
  },
  {
    name: 'a hard link member',
    craft: () =>
      craft({ members: (h) => [...h.slice(0, -1), member('out/top.txt', Buffer.alloc(0), '1', '/etc/passwd')] }),
    reason: /is a link, not a regular file/,
  },
  {
    name: 'a FIFO member',
    craft: () => craft({ members: (h) => [...h.slice(0, -1), member('out/top.txt', Buffer.alloc(0), '6')] }),
    reason: /is a fifo, not a regular file/,
  },
  {
    name: 'a member named with ../ in place of a listed one',
    craft: () => craft({ members: (h) => [member('../stdout.log', Buffer.from('made a\n')), ...h.slice(1)] }),
    reason: /is not the expected stdout\.log/,
  },
  {
    name: 'an unlisted member at the end',
    craft: () => craft({ members: (h) => [...h, member('out/extra.txt', Buffer.from('extra'))] }),
    reason: /unlisted member "out\/extra\.txt"/,
  },
  {
    name: 'a 5 GB size claim in meta.yaml',
    craft: () =>
      craft({
        outputs: (o) => o.map((x) => (x.type === 'file' ? { ...x, size: 5e9 } : x)),
        members: (h) =>
          h.map((m, i) => (i === h.length - 1 ? member('out/top.txt', Buffer.alloc(10), '0', '', 5e9) : m)),
      }),
    reason: /declares \d+ bytes unpacked, over the limit/,
  },
  {
    name: 'a 5 GB size claim in a tar header',
    craft: () =>
      craft({ members: (h) => [...h.slice(0, -1), member('out/top.txt', Buffer.from('top a'), '0', '', 5e9)] }),
    reason: /claims 5000000000 bytes, meta.yaml says 5/,
  },
  {
    name: 'a gzip bomb after the archive (64 MiB of zeros)',
    craft: () => craft({ trailer: Buffer.alloc(64 * 1024 * 1024) }),
    reason: /unpacks to more than it declares/,
  },
];

describe('validly signed evil archives', () => {
  it.each(cases)('$name: refused, nothing written outside staging, staging left empty', async (c) => {
    const bytes = await c.craft();
    const before = listTree(ws.dir).filter((f) => !f.startsWith('data/tmp'));
    const staging = stagingIn(ws);
    const got = await importArtifact(Readable.from([bytes]), {
      ref: entry.ref,
      namespace: 'main',
      expectedKeyInputs: entry.keyInputs,
      signingKey: KEY,
      stagingDir: staging,
      maxArtifactBytes: 100 * 1024 * 1024,
    });
    expect(got.ok).toBe(false);
    expect(got.ok ? '' : got.reason).toMatch(c.reason);
    expect(listTree(staging)).toEqual([]);
    expect(listTree(ws.dir).filter((f) => !f.startsWith('data/tmp'))).toEqual(before);
    expect(existsSync(outside())).toBe(false);
    expect(process.memoryUsage().rss).toBeLessThan(300 * 1024 * 1024);
  });

  it('the honest archive built the same way is accepted (the cases above fail for their reason alone)', async () => {
    const staging = stagingIn(ws);
    const got = await importArtifact(Readable.from([await craft({})]), {
      ref: entry.ref,
      namespace: 'main',
      expectedKeyInputs: entry.keyInputs,
      signingKey: KEY,
      stagingDir: staging,
      maxArtifactBytes: 100 * 1024 * 1024,
    });
    expect(got.ok).toBe(true);
    expect(listTree(staging)).toContain('out/sub/deep/data.bin');
  });

  it('served by a real server, an evil archive is a rejected lookup with one warning', async () => {
    const api = await startApiServer(ws.dir);
    try {
      const env = remoteEnv(api.url);
      const settings = settingsFrom(env);
      const policy = new RemotePolicy(settings.server, { stateFile: ws.path('raw-state.json') });
      const body = await cases[0].craft();
      const put = await new ApiBackend(settings, policy.exchange.bind(policy)).put(
        'artifact',
        entry.ref,
        { body, size: body.length, tag: 'evil' },
        performance.now() + 20_000,
      );
      expect(put).toBe(200);
      const staging = stagingIn(ws);
      const got = await tierFor(ws, env).fetchInto(entry.ref, entry.keyInputs, staging);
      expect(got.status).toBe('rejected');
      expect(got.warnings).toHaveLength(1);
      expect(listTree(staging)).toEqual([]);
      expect(existsSync(outside())).toBe(false);
    } finally {
      await api.stop();
    }
  });
});
