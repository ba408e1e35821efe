import { formatBytes, formatDuration } from '../output/format.js';
import type { ReportData } from './report-data.js';

/**
 * One self-contained HTML page: the data as JSON, Chart.js inlined, a small
 * script that hands the data to it, and a table of the same numbers under each
 * chart. A Content-Security-Policy forbids every fetch, so the page works (and
 * can only work) offline.
 */

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Script text that cannot end its <script> element early. */
const scriptSafe = (text: string) => text.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');

function table(head: string[], rows: string[][]): string {
  if (!rows.length) return '<p class="empty">No data in this window.</p>';
  const th = head.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const tr = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${tr}\n</tbody></table>`;
}

function section(id: string, title: string, hasData: boolean, body: string): string {
  const chart = hasData
    ? `<div class="chart"><canvas id="${id}" role="img" aria-label="${escapeHtml(title)}"></canvas></div>`
    : '';
  return `<section><h2>${escapeHtml(title)}</h2>${chart}${body}</section>`;
}

const PAGE_SCRIPT = `
const data = JSON.parse(document.getElementById('report-data').textContent);
const units = ['B', 'kB', 'MB', 'GB', 'TB'];
const bytes = (n) => { let u = 0; while (n >= 1000 && u < units.length - 1) { n /= 1000; u++; } return u ? n.toFixed(n < 10 ? 1 : 0) + ' ' + units[u] : n + ' B'; };
const seconds = (ms) => (ms / 1000).toFixed(ms < 10000 ? 1 : 0) + ' s';
const base = { animation: false, responsive: true, maintainAspectRatio: false, plugins: { legend: { display: false } } };
function chart(id, type, labels, datasets, options) {
  const canvas = document.getElementById(id);
  if (!canvas) return;
  new Chart(canvas, { type, data: { labels, datasets }, options: Object.assign({}, base, options) });
}
const axis = (format) => ({ ticks: { callback: (v) => format(v) }, beginAtZero: true });
chart('hit-rate', 'line', data.hitRateByDay.map((d) => d.day),
  [{ label: 'hit rate (%)', data: data.hitRateByDay.map((d) => d.rate), borderColor: '#2a7', backgroundColor: '#2a7' }],
  { scales: { y: { min: 0, max: 100, ticks: { callback: (v) => v + ' %' } } } });
chart('time-saved', 'bar', data.savedByTask.map((d) => d.task),
  [{ label: 'time saved (ms)', data: data.savedByTask.map((d) => d.savedMs), backgroundColor: '#2a7' }],
  { scales: { y: axis(seconds) } });
chart('store-size', 'bar', data.sizeByTask.map((d) => d.task),
  [{ label: 'bytes on disk', data: data.sizeByTask.map((d) => d.bytes), backgroundColor: '#37c' }],
  { scales: { y: axis(bytes) } });
chart('slowest-misses', 'bar', data.slowestMisses.map((d) => d.task + ' ' + d.key),
  [{ label: 'run time (ms)', data: data.slowestMisses.map((d) => d.ms), backgroundColor: '#d83' }],
  { indexAxis: 'y', scales: { x: axis(seconds) } });
chart('miss-reasons', 'bar', data.missReasons.map((d) => d.reason),
  [{ label: 'misses', data: data.missReasons.map((d) => d.count), backgroundColor: '#c45' }],
  { indexAxis: 'y', scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } });
chart('largest-entries', 'bar', data.largestEntries.map((d) => d.task + ' ' + d.key),
  [{ label: 'bytes on disk', data: data.largestEntries.map((d) => d.bytes), backgroundColor: '#37c' }],
  { indexAxis: 'y', scales: { x: axis(bytes) } });
document.body.dataset.rendered = 'true';
`;

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em auto; max-width: 960px; color: #222; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { font-size: 1.2em; margin-top: 2em; }
.summary { display: flex; flex-wrap: wrap; gap: 1.5em; margin: 1em 0; }
.summary div { background: #f4f4f4; padding: 0.6em 1em; border-radius: 6px; }
.summary b { display: block; font-size: 1.4em; }
.chart { position: relative; height: 280px; }
table { border-collapse: collapse; margin-top: 0.8em; } td, th { padding: 0.2em 0.8em; text-align: left; border-bottom: 1px solid #ddd; }
td:not(:first-child) { font-variant-numeric: tabular-nums; }
.empty, .meta { color: #777; }
`;

export function reportHtml(data: ReportData, chartLibrary: string): string {
  const t = data.totals;
  const rate = t.hitRate === null ? '-' : `${(t.hitRate * 100).toFixed(1)} %`;
  const window = data.since ? `since ${data.since}` : 'all recorded events';
  const sections = [
    section(
      'hit-rate',
      'Hit rate over time',
      data.hitRateByDay.length > 0,
      table(
        ['day', 'hits', 'misses', 'hit rate'],
        data.hitRateByDay.map((d) => [d.day, String(d.hits), String(d.misses), `${d.rate} %`]),
      ),
    ),
    section(
      'time-saved',
      'Time saved per task',
      data.savedByTask.length > 0,
      table(
        ['task', 'hits', 'time saved'],
        data.savedByTask.map((d) => [d.task, String(d.hits), formatDuration(d.savedMs)]),
      ),
    ),
    section(
      'store-size',
      'Store size by task',
      data.sizeByTask.length > 0,
      table(
        ['task', 'entries', 'on disk'],
        data.sizeByTask.map((d) => [d.task, String(d.entries), formatBytes(d.bytes)]),
      ),
    ),
    section(
      'slowest-misses',
      'Slowest misses',
      data.slowestMisses.length > 0,
      table(
        ['task', 'key', 'ran', 'when', 'stored'],
        data.slowestMisses.map((d) => [d.task, d.key, formatDuration(d.ms), d.at, d.stored ? 'yes' : 'no']),
      ),
    ),
    section(
      'miss-reasons',
      'Most frequent miss reasons',
      data.missReasons.length > 0,
      table(
        ['reason', 'misses'],
        data.missReasons.map((d) => [d.reason, String(d.count)]),
      ),
    ),
    section(
      'largest-entries',
      'Largest entries',
      data.largestEntries.length > 0,
      table(
        ['task', 'key', 'on disk', 'created', 'ran'],
        data.largestEntries.map((d) => [
          d.task,
          d.key,
          formatBytes(d.bytes),
          d.created ?? '-',
          d.durationMs === null ? '-' : formatDuration(d.durationMs),
        ]),
      ),
    ),
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>cachex report</title>
<style>${STYLE}</style>
</head>
<body>
<h1>cachex report</h1>
<p class="meta">Generated ${escapeHtml(data.generatedAt)}, ${escapeHtml(window)}.</p>
<div class="summary">
<div>hits<b id="total-hits">${t.hits}</b></div>
<div>misses<b id="total-misses">${t.misses}</b></div>
<div>hit rate<b id="total-rate">${rate}</b></div>
<div>time saved<b id="total-saved">${formatDuration(t.savedMs)}</b></div>
<div>entries<b id="total-entries">${t.entries}</b></div>
<div>store size<b id="total-size">${formatBytes(t.storeBytes)}</b></div>
</div>
${sections.join('\n')}
<script type="application/json" id="report-data">${JSON.stringify(data).replace(/</g, '\\u003c')}</script>
<script>${scriptSafe(chartLibrary)}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}
