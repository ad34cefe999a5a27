/** Dotted version comparison for `.if version_atleast(2.4)`. */

/** Compares `a` and `b` (`2.6.12`, `2.4`, `2.6-dev1` counts as 2.6): negative, 0 or positive. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
