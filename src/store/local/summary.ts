import { type Stats, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sha256 } from '../../key/digest.js';
import { crypto } from '../../lazy-builtins.js';
import { plainStamp } from '../../key/stamp.js';
import { CACHEX_VERSION } from '../../version.js';
import { briefOf, type EntryBrief } from '../brief.js';
import type { EntryMeta } from '../meta.js';
import { makeDirs } from '../make-dirs.js';

/**
 * A derived summary of one task's entries (one file per first hex digit of
 * the key, so a new entry rewrites a sixteenth), so listing a big store (`ls`,
 * `prune`, `stats`) needs neither the meta.yaml read and parse nor the
 * `du` walk of an entry that has not changed. Per entry it keeps meta.yaml's
 * stamp when that file was read and checked, the checked meta, the bytes of
 * the entry's sealed files, and usage.log's stamp with the hits counted then.
 *
 * A cache, never the truth (like the digest cache):
 * - a record counts only while meta.yaml has that exact stamp — device, inode,
 *   size, mtime and ctime; ctime catches an edit that set mtime back, and a
 *   replaced entry has a new inode — else the entry is read and checked again;
 * - it is only ever consulted for an entry folder that is there (listings
 *   start from cache/), so an entry removed behind its back is never shown;
 * - the file ends with the digest of its text; a damaged, truncated, foreign or
 *   older-format file is ignored as a whole;
 * - a meta.yaml changed within the clock's granularity of its read is not
 *   recorded (git's "racy" files), so a same-size edit in the same tick as the
 *   read cannot hide behind an equal stamp.
 * Written as a temporary file renamed into place: concurrent writers leave one
 * whole summary, a crash at most a temporary file (removed by the next writer).
 *
 * Each record keeps the entry's brief (what a listing row shows) as its own JSON text, so `ls` parses that and not
 * the whole meta. The checked metas (nine tenths of the bytes) are in a second file beside it, `<digit>.metas`, whose
 * digest the summary records: it is read and checked only when something reads a meta (prune, stats, why), so `ls`
 * of 10 000 entries reads, hashes and decodes 1.5 MB instead of 12. A metas file that does not match (another
 * writer's, or damaged) is not used: each meta read then reads its meta.yaml, as a listing without a summary does.
 * A large output manifest is kept apart from the rest of the meta and parsed
 * only when a reader asks for it (prune's checks do; `ls` and a miss's reason
 * do not): an entry of 10 000 outputs is a 1.6 MB record, whose parse made a
 * listing of twenty such entries cost a quarter of a second.
 */
const HEADER = `cachex-summary 4 ${CACHEX_VERSION}`;
const DIGEST = 'digest ';
const METAS = 'metas ';
/** Beside `<digit>.txt`: the checked metas of its records. */
export const METAS_SUFFIX = '.metas';
const TEMP = /\.tmp-\d+-[0-9a-f]+$/;
const TEMP_STALE_MS = 60_000;

export interface SummaryRecord {
  /** meta.yaml's content stamp (plain) when it was read and checked. */
  metaStamp: string;
  /** Bytes on disk of the entry without usage.log and verified.json (which change after it is sealed); null: not measured. */
  sealedBytes: number | null;
  /** usage.log's stamp when `hits` was counted; null when there was none. */
  usageStamp: string | null;
  hits: number;
  /**
   * The checked meta as JSON (a large manifest left out: recordJson), parsed only when the record is used; undefined
   * while it is still in the metas file (`metas`), which is read when the first meta of the summary is wanted.
   */
  metaJson?: string;
  /** Its outputs as JSON, parsed only when they are read; null when they are in metaJson (few) or there are none. */
  outputsJson?: string | null;
  /** Where metaJson is while it is undefined, and the record's key there. */
  metas?: { file: MetasFile; key: string };
  /** The entry's brief as JSON (see brief.ts). */
  briefJson: string;
  meta?: EntryMeta;
  brief?: EntryBrief;
}

/** From this many outputs (about 8 KiB of JSON) a record keeps the manifest apart. */
const APART_FROM_OUTPUTS = 50;

/**
 * A summary record's two JSON texts for a checked meta. The meta's text keeps
 * `"outputs":0` where the manifest was, so a meta read back lists its fields
 * in the order meta.yaml has them (`inspect --json` prints them so).
 */
export function recordJson(
  meta: EntryMeta,
  brief: EntryBrief = briefOf(meta),
): Pick<SummaryRecord, 'metaJson' | 'outputsJson' | 'briefJson'> {
  const briefJson = JSON.stringify(brief);
  // A small manifest stays inline: an accessor on each of 10 000 listed metas costs more than parsing a few records.
  if ((meta.outputs?.length ?? 0) < APART_FROM_OUTPUTS)
    return { metaJson: JSON.stringify(meta), outputsJson: null, briefJson };
  return { metaJson: JSON.stringify({ ...meta, outputs: 0 }), outputsJson: JSON.stringify(meta.outputs), briefJson };
}

/** The brief of a record (parsed once). */
export function recordBrief(record: SummaryRecord): EntryBrief {
  if (!record.brief) record.brief = JSON.parse(record.briefJson) as EntryBrief;
  return record.brief;
}

/** The JSON texts of a record's meta, fetched from the metas file when it has not been; false when that file does not match. */
function metaTexts(record: SummaryRecord): boolean {
  if (record.metaJson !== undefined) return true;
  const texts = record.metas?.file.texts().get(record.metas.key);
  if (!texts) return false;
  [record.metaJson, record.outputsJson] = texts;
  return true;
}

/** The checked meta of a record (parsed once; its outputs on first read); null when its metas file did not match. */
export function recordMeta(record: SummaryRecord): EntryMeta | null {
  if (!record.meta) {
    if (!metaTexts(record)) return null;
    const meta = JSON.parse(record.metaJson!) as EntryMeta;
    const json = record.outputsJson;
    if (json !== null && json !== undefined) {
      let outputs: EntryMeta['outputs'] | undefined;
      // Redefined where it stands (`"outputs":0`): the field keeps its place among the others.
      Object.defineProperty(meta, 'outputs', {
        enumerable: true,
        configurable: true,
        get: () => (outputs ??= JSON.parse(json) as EntryMeta['outputs']),
        set: (value: EntryMeta['outputs']) => {
          outputs = value;
        },
      });
    }
    record.meta = meta;
  }
  return record.meta;
}

/** usage.log's stamp: it only grows (one line per hit), so device, inode, size and mtime (to the µs) tell a change. */
export function usageStamp(st: Stats): string {
  return `${st.dev} ${st.ino} ${st.size} ${st.mtimeMs}`;
}

/**
 * meta.yaml's stamp (plain, stamp.ts plainStamp 'content'), or null when the file changed too recently to be told
 * apart from a change in the same clock tick: `readAtMs` is when it was read. Times that are whole milliseconds are
 * taken for a coarse clock (a file system that keeps no finer times), which is given 2 s.
 */
export function settledMetaStamp(st: Stats, readAtMs: number): string | null {
  const coarse = Number.isInteger(st.ctimeMs) && Number.isInteger(st.mtimeMs);
  const limit = readAtMs - (coarse ? 2_000 : 50);
  if (st.ctimeMs >= limit || st.mtimeMs >= limit) return null;
  return plainStamp(st, 'content');
}

/**
 * The metas file of a summary, read and checked against the digest the summary recorded when a meta is first
 * wanted; the same for every record of that summary.
 */
export class MetasFile {
  #texts: Map<string, [string, string | null]> | undefined;

  constructor(
    readonly file: string,
    readonly digest: string,
    /** The summary that named it: removed when the metas do not match, so the next listing writes both afresh. */
    readonly summary: string,
  ) {}

  /** Key → the meta's JSON and its outputs' JSON (null: inline); empty when the file is missing or does not match. */
  texts(): Map<string, [string, string | null]> {
    if (!this.#texts) {
      this.#texts = this.#read();
      // Another writer's metas, or none: until the pair is written again every meta would be read from meta.yaml.
      if (!this.#texts.size) removeSummaries(this.summary);
    }
    return this.#texts;
  }

  #read(): Map<string, [string, string | null]> {
    const texts = new Map<string, [string, string | null]>();
    let bytes: Buffer;
    try {
      bytes = readFileSync(this.file);
    } catch {
      return texts;
    }
    if (sha256(bytes) !== this.digest) return texts;
    const text = bytes.toString('utf8');
    for (let at = 0; at < text.length; ) {
      const end = text.indexOf('\n', at);
      const tab = text.indexOf('\t', at);
      const tab2 = text.indexOf('\t', tab + 1);
      if (end < 0 || tab < 0 || tab2 < 0 || tab2 > end) return new Map();
      const outputs = text.slice(tab + 1, tab2);
      texts.set(text.slice(at, tab), [text.slice(tab2 + 1, end), outputs === '-' ? null : outputs]);
      at = end + 1;
    }
    return texts;
  }
}

/** The metas file beside a summary file. */
const metasFileOf = (file: string): string =>
  `${file.slice(0, file.length - path.extname(file).length)}${METAS_SUFFIX}`;

/** The records of a summary file; empty when there is none or any doubt about it. Their metas are read when wanted. */
export function readSummary(file: string): Map<string, SummaryRecord> {
  const records = new Map<string, SummaryRecord>();
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return records;
  }
  // The digest is of the bytes before its line: checked on the bytes, before they are decoded.
  const last = bytes.lastIndexOf(`\n${DIGEST}`);
  if (last < 0 || bytes[bytes.length - 1] !== 0x0a) return records;
  const body = bytes.subarray(0, last + 1);
  if (bytes.toString('latin1', last + 1 + DIGEST.length, bytes.length - 1) !== sha256(body)) return records;
  const text = body.toString('utf8');
  let at = text.indexOf('\n');
  if (text.slice(0, at) !== HEADER) return records;
  at++;
  // The last line of the body names the metas file's digest.
  const metasLine = text.lastIndexOf(`\n${METAS}`, text.length - 2);
  if (metasLine < at - 1) return records;
  const metas = new MetasFile(metasFileOf(file), text.slice(metasLine + 1 + METAS.length, text.length - 1), file);
  const stop = metasLine + 1;
  // Field by field, without splitting into lines and arrays first: 10 000 records are read in one go.
  const field = (end: number): string | null => {
    const tab = text.indexOf('\t', at);
    if (tab < 0 || tab > end) return null;
    const value = text.slice(at, tab);
    at = tab + 1;
    return value;
  };
  while (at < stop) {
    const end = text.indexOf('\n', at);
    const key = field(end);
    const metaStamp = field(end);
    const sealed = field(end);
    const usage = field(end);
    const hits = field(end);
    if (key === null || metaStamp === null || sealed === null || usage === null || hits === null) return new Map();
    // The digest vouches for the file, and a record is only ever looked up by the name of an entry folder.
    if (key.length !== 64) return new Map();
    records.set(key, {
      metaStamp,
      sealedBytes: sealed === '-' ? null : Number(sealed),
      usageStamp: usage === '-' ? null : usage,
      hits: Number(hits),
      briefJson: text.slice(at, end),
      metas: { file: metas, key },
    });
    at = end + 1;
  }
  return records;
}

/**
 * Replaces the summary file and its metas file with these records (best effort: a read-only store just lists the
 * slow way). The metas file is written first: a summary never names metas that were not there when it was written,
 * and one a concurrent writer replaced since does not match its digest. A record whose meta cannot be had any more
 * (its metas file replaced) is left out: its entry is read whole at the next listing.
 */
export function writeSummary(file: string, records: Map<string, SummaryRecord>): void {
  const lines = [HEADER];
  const metaLines: string[] = [];
  for (const [key, r] of records) {
    if (!metaTexts(r)) continue;
    lines.push(`${key}\t${r.metaStamp}\t${r.sealedBytes ?? '-'}\t${r.usageStamp ?? '-'}\t${r.hits}\t${r.briefJson}`);
    metaLines.push(`${key}\t${r.outputsJson ?? '-'}\t${r.metaJson}\n`);
  }
  const metasBody = metaLines.join('');
  lines.push(`${METAS}${sha256(metasBody)}`);
  const body = `${lines.join('\n')}\n`;
  const suffix = `.tmp-${process.pid}-${crypto().randomBytes(4).toString('hex')}`;
  const metasFile = metasFileOf(file);
  try {
    makeDirs(path.dirname(file));
    removeStaleTemps(path.dirname(file));
    writeFileSync(`${metasFile}${suffix}`, metasBody);
    renameSync(`${metasFile}${suffix}`, metasFile);
    writeFileSync(`${file}${suffix}`, `${body}${DIGEST}${sha256(body)}\n`);
    renameSync(`${file}${suffix}`, file);
  } catch {
    rmSync(`${metasFile}${suffix}`, { force: true });
    rmSync(`${file}${suffix}`, { force: true });
  }
}

/** Removes a summary file, or the folder of a task's summaries (best effort: a read-only store keeps them). */
export function removeSummaries(folder: string): void {
  try {
    rmSync(folder, { recursive: true, force: true });
  } catch {
    /* read-only: listings take the slow way */
  }
}

/** Temporary files a crashed writer left (a live writer renames its own within milliseconds). */
function removeStaleTemps(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!TEMP.test(name)) continue;
    const full = path.join(dir, name);
    const st = statSync(full, { throwIfNoEntry: false });
    if (st && Date.now() - st.mtimeMs > TEMP_STALE_MS) rmSync(full, { force: true });
  }
}
