import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { REPO } from './cli.js';

/**
 * Real point clouds that nobody on the project made (PCL's and PDAL's test files), kept
 * beside the project in ../shared/data and never copied into it. Absent on a user's fresh
 * clone: tests that need them skip, saying so.
 */
export const SHARED_DATA = path.resolve(REPO, '..', 'shared', 'data');
export const HAVE_SHARED_DATA = existsSync(path.join(SHARED_DATA, 'README.md'));
export const NO_SHARED_DATA_REASON = `skipped: ${SHARED_DATA} is absent (the real PCL/PDAL test clouds live beside the project, not in it)`;

export function sharedFile(name: string): string {
  return path.join(SHARED_DATA, name);
}

export function sharedPcdFiles(): string[] {
  return readdirSync(SHARED_DATA)
    .filter((n) => n.endsWith('.pcd'))
    .sort();
}

export interface PclReference {
  file: string;
  leaf: number;
  /** points of cachex's old grid (anchored at the minimum) */
  minGrid: number;
  /** points of `pcl_voxel_grid -leaf L` (PCL 1.13, grid anchored at the origin) */
  pcl: number;
}

/** The reference table of ../shared/data/README.md ("| bunny.pcd | 0.01 | 250 | 294 |"). */
export function pclReferences(): PclReference[] {
  const text = readFileSync(path.join(SHARED_DATA, 'README.md'), 'utf8');
  const rows: PclReference[] = [];
  const num = (s: string) => Number(s.replace(/,/g, ''));
  for (const m of text.matchAll(/^\|\s*([\w.-]+\.pcd)[^|]*\|\s*([\d.]+)\s*\|\s*([\d,]+)\s*\|\s*([\d,]+)\s*\|\s*$/gm)) {
    rows.push({ file: m[1]!, leaf: num(m[2]!), minGrid: num(m[3]!), pcl: num(m[4]!) });
  }
  return rows;
}
