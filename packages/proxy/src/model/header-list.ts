/** Lookups in header lists as flat arrays ([name, value, name, value, ...], node's rawHeaders shape). */

/** Index of the first field named `lname` (lower-case) at or after `from`, or -1. */
export function findHeader(list: string[], lname: string, from = 0): number {
  for (let i = from; i < list.length; i += 2) {
    const n = list[i];
    if (n.length === lname.length && n.toLowerCase() === lname) return i;
  }
  return -1;
}
