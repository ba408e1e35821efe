#!/usr/bin/env node
// Deterministic PCD generator.
//
//   node scripts/gen-pcd.mjs <out.pcd> [--mb 120] [--seed 1]
//       Binary PCD (fields x y z intensity, F 4) of at least --mb MiB: a 200 m × 200 m
//       synthetic scene (rolling ground, boxy buildings, tree canopies). Written in
//       chunks, so memory stays bounded whatever the size.
//
//   node scripts/gen-pcd.mjs <out.pcd> --fixture [--seed 1]
//       The small ASCII sample committed as fixtures/data.pcd (5000 points: a noisy
//       torus above a ground plane).
//
// Same arguments → byte-identical file.
import { closeSync, openSync, writeSync, statSync } from 'node:fs';

const USAGE = 'usage: node scripts/gen-pcd.mjs <out.pcd> [--mb 120] [--seed 1] [--fixture]';

function parseArgs(argv) {
  const opts = { out: undefined, mb: 120, seed: 1, fixture: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--mb' || a === '--seed') {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v <= 0 || (a === '--seed' && !Number.isInteger(v))) {
        fail(`${a} needs a positive ${a === '--seed' ? 'integer' : 'number'}, got ${JSON.stringify(argv[i])}`);
      }
      opts[a.slice(2)] = v;
    } else if (a === '--fixture') {
      opts.fixture = true;
    } else if (a === '-h' || a === '--help') {
      console.log(USAGE);
      process.exit(0);
    } else if (a.startsWith('-')) {
      fail(`unknown option ${JSON.stringify(a)}`);
    } else if (opts.out === undefined) {
      opts.out = a;
    } else {
      fail(`unexpected argument ${JSON.stringify(a)}`);
    }
  }
  if (opts.out === undefined) fail('missing output path');
  return opts;
}

function fail(msg) {
  console.error(`gen-pcd: ${msg}\n${USAGE}`);
  process.exit(2);
}

/** mulberry32: small, fast, deterministic PRNG returning floats in [0, 1). */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Approximately normal noise (sum of 4 uniforms), mean 0, standard deviation ≈ sigma. */
function gauss(rand, sigma) {
  return (rand() + rand() + rand() + rand() - 2) * sigma * 1.7320508;
}

function header(fields, n, data, comment) {
  return [
    comment,
    'VERSION 0.7',
    `FIELDS ${fields.join(' ')}`,
    `SIZE ${fields.map(() => 4).join(' ')}`,
    `TYPE ${fields.map(() => 'F').join(' ')}`,
    `COUNT ${fields.map(() => 1).join(' ')}`,
    `WIDTH ${n}`,
    'HEIGHT 1',
    'VIEWPOINT 0 0 0 1 0 0 0',
    `POINTS ${n}`,
    `DATA ${data}`,
    '',
  ].join('\n');
}

// --- large binary scene -------------------------------------------------------

function ground(x, y) {
  return 2 * Math.sin(x / 17) + 1.5 * Math.cos(y / 23) + 0.4 * Math.sin((x + y) / 5);
}

function makeScene(rand) {
  const buildings = [];
  for (let i = 0; i < 40; i++) {
    const w = 6 + rand() * 18,
      d = 6 + rand() * 18,
      h = 4 + rand() * 26;
    const x0 = rand() * (200 - w),
      y0 = rand() * (200 - d);
    buildings.push({ x0, y0, w, d, h, z0: ground(x0 + w / 2, y0 + d / 2) - 0.5 });
  }
  const trees = [];
  for (let i = 0; i < 300; i++) {
    const cx = rand() * 200,
      cy = rand() * 200;
    const r = 1.5 + rand() * 3;
    trees.push({ cx, cy, r, cz: ground(cx, cy) + 3 + r + rand() * 4 });
  }
  return { buildings, trees };
}

function scenePoint(rand, scene, out) {
  const u = rand();
  if (u < 0.6) {
    const x = rand() * 200,
      y = rand() * 200;
    out[0] = x;
    out[1] = y;
    out[2] = ground(x, y) + gauss(rand, 0.03);
    out[3] = 0.2 + 0.1 * rand();
  } else if (u < 0.85) {
    const b = scene.buildings[Math.floor(rand() * scene.buildings.length)];
    const walls = 2 * (b.w + b.d) * b.h,
      roof = b.w * b.d;
    let s = rand() * (walls + roof);
    if (s >= walls) {
      out[0] = b.x0 + rand() * b.w;
      out[1] = b.y0 + rand() * b.d;
      out[2] = b.z0 + b.h;
    } else {
      const z = b.z0 + rand() * b.h;
      s /= b.h; // position along the perimeter
      if (s < b.w) {
        out[0] = b.x0 + s;
        out[1] = b.y0;
      } else if ((s -= b.w) < b.d) {
        out[0] = b.x0 + b.w;
        out[1] = b.y0 + s;
      } else if ((s -= b.d) < b.w) {
        out[0] = b.x0 + b.w - s;
        out[1] = b.y0 + b.d;
      } else {
        s -= b.w;
        out[0] = b.x0;
        out[1] = b.y0 + b.d - s;
      }
      out[2] = z;
    }
    out[0] += gauss(rand, 0.02);
    out[1] += gauss(rand, 0.02);
    out[3] = 0.5 + 0.2 * rand();
  } else {
    const t = scene.trees[Math.floor(rand() * scene.trees.length)];
    const ct = 2 * rand() - 1,
      phi = 2 * Math.PI * rand(),
      st = Math.sqrt(1 - ct * ct);
    const r = t.r * (0.85 + 0.15 * rand());
    out[0] = t.cx + r * st * Math.cos(phi);
    out[1] = t.cy + r * st * Math.sin(phi);
    out[2] = t.cz + r * ct;
    out[3] = 0.05 + 0.1 * rand();
  }
}

function writeBinaryScene(out, mb, seed) {
  const POINT = 16; // x y z intensity, F 4 each
  const n = Math.ceil((mb * 1024 * 1024) / POINT);
  const rand = rng(seed);
  const scene = makeScene(rand);
  const fd = openSync(out, 'w');
  try {
    writeSync(fd, header(['x', 'y', 'z', 'intensity'], n, 'binary', '# cachex synthetic benchmark cloud'));
    const CHUNK = 65536;
    const buf = Buffer.alloc(CHUNK * POINT);
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const p = new Float64Array(4);
    for (let done = 0; done < n; ) {
      const m = Math.min(CHUNK, n - done);
      for (let i = 0; i < m; i++) {
        scenePoint(rand, scene, p);
        const o = i * POINT;
        dv.setFloat32(o, p[0], true);
        dv.setFloat32(o + 4, p[1], true);
        dv.setFloat32(o + 8, p[2], true);
        dv.setFloat32(o + 12, p[3], true);
      }
      writeSync(fd, buf, 0, m * POINT);
      done += m;
    }
  } finally {
    closeSync(fd);
  }
  return n;
}

// --- small ASCII fixture --------------------------------------------------------

function writeFixture(out, seed) {
  const rand = rng(seed);
  const TORUS = 3000,
    PLANE = 2000,
    n = TORUS + PLANE;
  const lines = [];
  const push = (x, y, z, i) => lines.push(`${x.toFixed(4)} ${y.toFixed(4)} ${z.toFixed(4)} ${i.toFixed(3)}`);
  for (let k = 0; k < TORUS; k++) {
    const u = 2 * Math.PI * rand(),
      v = 2 * Math.PI * rand();
    const R = 1,
      r = 0.3 + gauss(rand, 0.01);
    push(
      (R + r * Math.cos(v)) * Math.cos(u),
      (R + r * Math.cos(v)) * Math.sin(u),
      0.6 + r * Math.sin(v),
      0.5 + 0.5 * Math.sin(v),
    );
  }
  for (let k = 0; k < PLANE; k++) {
    push(4 * rand() - 2, 4 * rand() - 2, gauss(rand, 0.005), 0.1 * rand());
  }
  const text =
    header(['x', 'y', 'z', 'intensity'], n, 'ascii', '# cachex sample point cloud') + lines.join('\n') + '\n';
  const fd = openSync(out, 'w');
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  return n;
}

const opts = parseArgs(process.argv.slice(2));
const points = opts.fixture ? writeFixture(opts.out, opts.seed) : writeBinaryScene(opts.out, opts.mb, opts.seed);
const size = statSync(opts.out).size;
console.log(`${opts.out}: ${points} points, ${size} bytes (${(size / 1024 / 1024).toFixed(1)} MiB)`);
