/**
 * Minimal glob(3) for keepalived's `include`: `*`, `?`, `[...]` and `{a,b}` (GLOB_BRACE) in any path
 * segment of an absolute pattern; results sorted like glob(3); directories are skipped by the caller.
 * Node 20 has no fs.glob, and a dependency for this would be heavier than these lines.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const MAGIC = /[*?[{]/;

/** Expands `{a,b}` alternatives first (outermost, left to right). */
function expandBraces(p: string): string[] {
  const open = p.indexOf('{');
  if (open < 0) return [p];
  let depth = 0;
  for (let i = open; i < p.length; i++) {
    if (p[i] === '{') depth++;
    else if (p[i] === '}' && --depth === 0) {
      const inner = p.slice(open + 1, i);
      const parts: string[] = [];
      let d = 0;
      let start = 0;
      for (let j = 0; j < inner.length; j++) {
        if (inner[j] === '{') d++;
        else if (inner[j] === '}') d--;
        else if (inner[j] === ',' && d === 0) {
          parts.push(inner.slice(start, j));
          start = j + 1;
        }
      }
      parts.push(inner.slice(start));
      if (parts.length < 2) return [p];
      return parts.flatMap((alt) => expandBraces(p.slice(0, open) + alt + p.slice(i + 1)));
    }
  }
  return [p];
}

/** Converts one path segment's pattern to a RegExp (leading dots must match explicitly). */
function segmentRegex(seg: string): RegExp {
  let re = '^';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = seg.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let cls = seg.slice(i + 1, end);
        if (cls[0] === '!') cls = `^${cls.slice(1)}`;
        re += `[${cls.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^$()|\\{}]/g, '\\$&');
  }
  return new RegExp(`${re}$`);
}

/** All existing paths matching an absolute pattern, sorted. A pattern without magic returns itself if it exists. */
export function expandGlob(pattern: string): string[] {
  const out = new Set<string>();
  for (const p of expandBraces(pattern)) {
    const segs = p.split('/').filter((s, i) => s !== '' || i === 0);
    let current = [segs[0] === '' ? '/' : segs[0]];
    for (let i = 1; i < segs.length; i++) {
      const seg = segs[i];
      const next: string[] = [];
      for (const dir of current) {
        if (!MAGIC.test(seg)) {
          next.push(join(dir, seg));
          continue;
        }
        const re = segmentRegex(seg);
        let names: string[];
        try {
          names = readdirSync(dir);
        } catch {
          continue;
        }
        for (const n of names) if (re.test(n) && (n[0] !== '.' || seg[0] === '.')) next.push(join(dir, n));
      }
      current = next;
    }
    for (const c of current) {
      try {
        statSync(c);
        out.add(c);
      } catch {}
    }
  }
  return [...out].sort();
}
