/**
 * ACL criterion keywords that combine a fetch with a match method (`hdr_beg` = `hdr` + `-m beg`),
 * as HAProxy's ACL keyword tables define them.
 */
import type { MatchMethod } from './matchers.ts';

/** keyword -> [fetch name, default match method]. */
export const ACL_KEYWORDS = new Map<string, [string, MatchMethod]>();

const SUFFIXES: Array<[string, MatchMethod]> = [
  ['beg', 'beg'],
  ['end', 'end'],
  ['sub', 'sub'],
  ['reg', 'reg'],
  ['dom', 'dom'],
  ['dir', 'dir'],
  ['len', 'len'],
];

for (const [prefix, fetch] of [
  ['hdr', 'hdr'],
  ['path', 'path'],
  ['url', 'url'],
  ['urlp', 'url_param'],
  ['base', 'base'],
  ['cook', 'req.cook'],
  ['shdr', 'res.hdr'],
  ['scook', 'res.cook'],
] as const) {
  for (const [suffix, method] of SUFFIXES) ACL_KEYWORDS.set(`${prefix}_${suffix}`, [fetch, method]);
}
ACL_KEYWORDS.set('ssl_fc_sni_end', ['ssl_fc_sni', 'end']);
ACL_KEYWORDS.set('ssl_fc_sni_reg', ['ssl_fc_sni', 'reg']);
