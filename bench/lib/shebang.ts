/** The node flags of a `#!/usr/bin/env -S node FLAGS` line (none for `#!/usr/bin/env node`). */
export function shebangNodeFlags(source: string): string[] {
  const first = source.slice(0, source.indexOf('\n'));
  const m = /^#!\S*env(?: -S)? node((?: --?[\w-]+(?:=\S+)?)*)\s*$/.exec(first);
  if (!m) throw new Error(`not a node shebang: ${first}`);
  return m[1].split(' ').filter(Boolean);
}
