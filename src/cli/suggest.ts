/**
 * Optimal string alignment distance: insertions, deletions, substitutions and
 * swaps of two neighbouring letters each count as one edit (`covn` → `conv`
 * is 1). The same measure commander uses for commands and flags, so a typo in
 * a task name gets the same help as a typo in a flag.
 */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 0; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** commander's thresholds: at most 3 edits, and more than 40% of the longer word left intact. */
const MAX_DISTANCE = 3;
const MIN_SIMILARITY = 0.4;

/** The closest candidate, or null when none is close enough to be a likely typo. */
export function suggest(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = MAX_DISTANCE + 1;
  for (const candidate of candidates) {
    if (candidate.length <= 1) continue;
    const d = editDistance(word, candidate);
    const length = Math.max(word.length, candidate.length);
    if ((length - d) / length <= MIN_SIMILARITY) continue;
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}
