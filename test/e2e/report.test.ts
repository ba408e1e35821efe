import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventLog } from '../../src/store/events.js';
import { REPO, Workspace, isOneSentence } from '../helpers/cli.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
if (!HAS_CHROMIUM)
  console.warn(`report.test.ts: browser checks skipped: no Chromium at ${CHROMIUM} (apt-get install chromium).`);

const CONFIG = ['--config', path.join(REPO, 'cachex.config.ts')];
const DAY = 24 * 3600_000;

interface ChartSeen {
  labels: string[];
  data: number[];
  painted: boolean;
}

describe('cachex report', () => {
  let ws: Workspace;
  let sizes: Record<string, number>;
  let keys: Record<string, string[]>;
  const now = Date.now();

  beforeAll(() => {
    ws = new Workspace('cachex-report-');
    ws.samplePcd('in/a.pcd');
    for (const args of [
      ['convert', '--file', 'in/a.pcd'],
      ['convert', '--file', 'in/a.pcd', '--resolution', '0.5'],
      ['potree', '--file', 'in/a.pcd'],
    ]) {
      const result = ws.run([...CONFIG, 'run', ...args]);
      expect(result.code, result.stderr).toBe(0);
    }
    const listed: { task: string; key: string; diskBytes: number }[] = JSON.parse(
      ws.run([...CONFIG, 'ls', '--json']).stdout,
    );
    sizes = {};
    keys = {};
    for (const e of listed) {
      sizes[e.task] = (sizes[e.task] ?? 0) + e.diskBytes;
      (keys[e.task] ??= []).push(e.key);
    }
    // The runs above recorded their own events; the log the charts are checked against is written here, spread over days.
    const log = new EventLog(ws.data);
    log.zero();
    const ev = (event: 'hit' | 'miss' | 'stored' | 'not-stored', task: string, daysAgo: number, extra = {}) =>
      log.append({ event, task, module: 'tasks', key: keys[task][0], t: now - daysAgo * DAY, ...extra });
    ev('miss', 'convert', 40, { reason: 'too old for --since 30d' });
    ev('miss', 'convert', 2.5, { reason: '--resolution changed' });
    ev('stored', 'convert', 2.5, { ms: 1200, bytes: 30_000 });
    ev('miss', 'convert', 2.4, { reason: '--resolution changed' });
    ev('stored', 'convert', 2.4, { ms: 800, bytes: 30_000 });
    ev('hit', 'convert', 2.3, { savedMs: 1200 });
    ev('miss', 'potree', 1.5, { reason: 'data.pcd changed' });
    ev('not-stored', 'potree', 1.5, { ms: 45_000, reason: 'input changed while the task ran' });
    for (const d of [1.4, 1.3, 1.2]) ev('hit', 'potree', d, { savedMs: 30_000 });
    ev('hit', 'convert', 1.1, { savedMs: 800 });
  });
  afterAll(() => ws?.cleanup());

  it('writes one self-contained file: no external script, stylesheet or URL to fetch', () => {
    const result = ws.run([...CONFIG, 'report', '--out', 'out/../report.html', '--since', '30d']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('Wrote out/../report.html: 11 events from the last 30d, 3 stored entries.\n');
    const html = readFileSync(ws.path('report.html'), 'utf8');
    // (URLs inside Chart.js's comments fetch nothing; the browser test below counts the requests.)
    expect(html.match(/<script[^>]*\ssrc=|<link\b|<img\b|<iframe\b|@import|sourceMappingURL/gi)).toBeNull();
    expect(html).toContain("default-src 'none'");
  });

  it('refuses a bad --since and an unwritable --out with one sentence and exit 2', () => {
    for (const args of [
      ['--since', 'later'],
      ['--out', 'no/such/folder/r.html'],
    ]) {
      const result = ws.run([...CONFIG, 'report', ...args]);
      expect(result.code, result.stderr).toBe(2);
      expect(isOneSentence(result.stderr), result.stderr).toBe(true);
    }
  });

  it.skipIf(!HAS_CHROMIUM)(
    'loads in headless Chromium with no console errors, and its charts show the numbers of this store and log',
    async () => {
      const result = ws.run([...CONFIG, 'report', '--out', 'report.html', '--since', '30d']);
      expect(result.code, result.stderr).toBe(0);
      const { chromium } = await import('playwright-core');
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
        ],
      });
      try {
        const page = await browser.newPage();
        const problems: string[] = [];
        const requests: string[] = [];
        page.on('console', (m) => {
          if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
        });
        page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
        page.on('request', (r) => requests.push(r.url()));
        const url = pathToFileURL(ws.path('report.html')).href;
        await page.goto(url);
        await page.waitForFunction(() => document.body.dataset.rendered === 'true');
        expect(problems).toEqual([]);
        expect(requests).toEqual([url]);

        const seen = async (id: string): Promise<ChartSeen> =>
          page.evaluate((chartId) => {
            const canvas = document.getElementById(chartId) as HTMLCanvasElement;
            // Chart is the library's global in the page.
            const { Chart } = window as unknown as {
              Chart: { getChart(c: HTMLCanvasElement): { data: { labels: string[]; datasets: { data: number[] }[] } } };
            };
            const chart = Chart.getChart(canvas);
            const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
            let painted = false;
            for (let i = 3; i < pixels.length && !painted; i += 4) painted = pixels[i] !== 0;
            return { labels: chart.data.labels, data: chart.data.datasets[0].data, painted };
          }, id);

        const day = (daysAgo: number) => new Date(now - daysAgo * DAY).toISOString().slice(0, 10);
        const byDay = new Map<string, { hits: number; misses: number }>();
        for (const [d, kind] of [
          [2.5, 'm'],
          [2.4, 'm'],
          [2.3, 'h'],
          [1.5, 'm'],
          [1.4, 'h'],
          [1.3, 'h'],
          [1.2, 'h'],
          [1.1, 'h'],
        ] as const) {
          const entry = byDay.get(day(d)) ?? { hits: 0, misses: 0 };
          entry[kind === 'h' ? 'hits' : 'misses']++;
          byDay.set(day(d), entry);
        }
        const days = [...byDay.keys()].sort();
        const rates = days.map(
          (d) => Math.round((byDay.get(d)!.hits / (byDay.get(d)!.hits + byDay.get(d)!.misses)) * 1000) / 10,
        );
        expect(await seen('hit-rate')).toEqual({ labels: days, data: rates, painted: true });
        expect(await seen('time-saved')).toEqual({
          labels: ['potree', 'convert'],
          data: [90_000, 2000],
          painted: true,
        });
        const bySize = Object.entries(sizes).sort((a, b) => b[1] - a[1]);
        expect(await seen('store-size')).toEqual({
          labels: bySize.map(([t]) => t),
          data: bySize.map(([, b]) => b),
          painted: true,
        });
        const slow = await seen('slowest-misses');
        expect(slow.data).toEqual([45_000, 1200, 800]);
        expect(slow.labels[0]).toBe(`potree ${keys.potree[0].slice(0, 12)}`);
        expect(await seen('miss-reasons')).toEqual({
          labels: ['--resolution changed', 'data.pcd changed'],
          data: [2, 1],
          painted: true,
        });
        const largest = await seen('largest-entries');
        expect(largest.data).toHaveLength(3);
        expect([...largest.data].sort((a, b) => b - a)).toEqual(largest.data);
        expect(largest.data.reduce((a, b) => a + b, 0)).toBe(Object.values(sizes).reduce((a, b) => a + b, 0));

        expect(await page.textContent('#total-hits')).toBe('5');
        expect(await page.textContent('#total-misses')).toBe('3');
        expect(await page.textContent('#total-rate')).toBe('62.5 %');
        expect(await page.textContent('#total-entries')).toBe('3');
      } finally {
        await browser.close();
      }
    },
  );
});
