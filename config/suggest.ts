// "Did you mean": the nearest candidate by edit distance, for unknown configuration keys, unknown KOPPEL_*
// variables and unknown `koppel` commands (cli/ uses it through config's face).

/** How near a candidate must be to be suggested. */
export interface ClosestOptions {
  /** One more edit is allowed for every this many characters of the word, and always at least two. Default 4. */
  readonly charsPerEdit?: number;
  /** Compare without regard to case (the suggestion keeps the candidate's own spelling). Default true. */
  readonly ignoreCase?: boolean;
}

/** The candidate within a small edit distance of `word`, if any; the first of equally near ones. */
export function closest(
  word: string,
  candidates: readonly string[],
  { charsPerEdit = 4, ignoreCase = true }: ClosestOptions = {},
): string | undefined {
  const fold = (s: string): string => (ignoreCase ? s.toLowerCase() : s);
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / charsPerEdit)) + 1;
  for (const c of candidates) {
    const d = editDistance(fold(word), fold(c));
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** Levenshtein distance (insertions, deletions and substitutions of one UTF-16 unit each cost 1). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
