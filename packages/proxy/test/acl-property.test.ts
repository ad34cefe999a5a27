/** Property tests: IP network matching against node:net's BlockList, word matching against a reference. */
import assert from 'node:assert/strict';
import { BlockList, isIPv6 } from 'node:net';
import { test } from 'node:test';
import type { Diagnostic } from '@switchyard/config';
import fc from 'fast-check';
import {
  compileAcls,
  compileCondition,
  compileFetch,
  compileLogFormat,
  netContains,
  parseIp,
  parseNet,
} from '../src/acl/index.ts';
import { IpSet } from '../src/acl/ip-set.ts';
import { matchWord } from '../src/acl/matchers.ts';
import { txn } from './acl-helpers.ts';

const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'));
const v6 = fc.array(fc.nat(0xffff), { minLength: 8, maxLength: 8 }).map((g) => g.map((x) => x.toString(16)).join(':'));

test('IPv4 networks match like BlockList.addSubnet', () => {
  fc.assert(
    fc.property(v4, fc.nat(32), v4, (net, bits, addr) => {
      const bl = new BlockList();
      bl.addSubnet(net, bits, 'ipv4');
      const n = parseNet(`${net}/${bits}`);
      assert.ok(typeof n !== 'string');
      assert.equal(netContains(n, parseIp(addr)!), bl.check(addr, 'ipv4'));
    }),
    { numRuns: 3000 },
  );
});

test('IPv6 networks match like BlockList.addSubnet', () => {
  fc.assert(
    fc.property(v6, fc.nat(128), v6, fc.boolean(), (net, bits, addr, near) => {
      // half the time, make the address share a prefix with the network
      const a = near ? net.split(':').slice(0, 4).concat(addr.split(':').slice(4)).join(':') : addr;
      const bl = new BlockList();
      bl.addSubnet(net, bits, 'ipv6');
      const n = parseNet(`${net}/${bits}`);
      assert.ok(typeof n !== 'string');
      assert.equal(netContains(n, parseIp(a)!), bl.check(a, 'ipv6'));
    }),
    { numRuns: 3000 },
  );
});

test('IPv6 parsing accepts exactly what node:net accepts (compressed forms included)', () => {
  const groups = fc.array(
    fc.nat(0xffff).map((x) => x.toString(16)),
    { minLength: 0, maxLength: 8 },
  );
  const candidate = fc.oneof(
    fc.tuple(groups, groups).map(([a, b]) => `${a.join(':')}::${b.join(':')}`),
    v6,
    fc.tuple(groups, v4).map(([a, b]) => `${a.join(':')}::${b}`),
    fc.string({ maxLength: 12 }),
  );
  fc.assert(
    fc.property(candidate, (s) => {
      const ours = parseIp(s);
      assert.equal(ours !== undefined && ours.v === 6, isIPv6(s), s);
    }),
    { numRuns: 5000 },
  );
});

/** Reference for HAProxy's match_word: split on delimiters, look for the pattern's words contiguous. */
function referenceWord(s: string, pat: string, dom: boolean): boolean {
  const delim = dom ? /[/?.:]/ : /[/?]/;
  const trimmed = pat.replace(new RegExp(`^${delim.source}+|${delim.source}+$`, 'g'), '');
  if (trimmed === '') return false;
  for (let i = 0; i + trimmed.length <= s.length; i++) {
    const before = i === 0 || delim.test(s[i - 1]);
    const after = i + trimmed.length === s.length || delim.test(s[i + trimmed.length]);
    if (before && after && s.startsWith(trimmed, i)) return true;
  }
  return false;
}

test('dom/dir word match agrees with a straightforward reference', () => {
  const alpha = fc.constantFrom('a', 'b', '.', ':', '/', '?', 'c');
  const str = fc.array(alpha, { maxLength: 12 }).map((a) => a.join(''));
  fc.assert(
    fc.property(str, str, fc.boolean(), (s, p, dom) => {
      const delim = dom ? /^[/?.:]+|[/?.:]+$/g : /^[/?]+|[/?]+$/g;
      assert.equal(matchWord(s, p.replace(delim, ''), dom), referenceWord(s, p, dom), `${s} ${p} ${dom}`);
    }),
    { numRuns: 10000 },
  );
});

test('IpSet (long pattern lists) answers like a linear scan over netContains', () => {
  const net = fc.oneof(
    fc.tuple(v4, fc.nat(32)).map(([a, b]) => `${a}/${b % 33}`),
    fc.tuple(v6, fc.nat(128)).map(([a, b]) => `${a}/${b}`),
    fc.tuple(fc.nat(255), fc.nat(255)).map(([a, b]) => `10.${a}.${b}.0/24`),
  );
  const addr = fc.oneof(
    v4,
    v6,
    fc.tuple(fc.nat(255), fc.nat(255)).map(([a, b]) => `10.${a}.${b}.9`),
    fc.tuple(fc.nat(255), fc.nat(255)).map(([a, b]) => `::ffff:10.${a}.${b}.9`),
    fc.tuple(fc.nat(0xffff)).map(([a]) => `2002:0a${(a & 0xff).toString(16).padStart(2, '0')}:0909::1`),
  );
  fc.assert(
    fc.property(
      fc.array(net, { minLength: 9, maxLength: 60 }),
      fc.array(addr, { minLength: 1, maxLength: 20 }),
      (nets, addrs) => {
        const parsed = nets
          .map((n) => parseNet(n))
          .filter((n): n is Exclude<ReturnType<typeof parseNet>, string> => typeof n !== 'string');
        const set = new IpSet(parsed);
        for (const a of addrs) {
          const ip = parseIp(a)!;
          assert.equal(
            set.has(ip),
            parsed.some((n) => netContains(n, ip)),
            a,
          );
        }
      },
    ),
    { numRuns: 500 },
  );
});

test('hostile input never throws: conditions, ACL lines, sample expressions, log formats', () => {
  const word = fc.oneof(
    fc.constantFrom(
      '!',
      '{',
      '}',
      '(',
      ')',
      'or',
      '||',
      '&&',
      'a',
      '!a',
      'b',
      'TRUE',
      '-i',
      '-m',
      '-f',
      '--',
      'beg',
      'x',
    ),
    fc.string({ maxLength: 8 }),
    fc.constantFrom(
      'hdr(',
      'hdr(host',
      'path,',
      ',lower',
      'field(1,',
      'regsub(',
      '%[',
      '%{',
      '%{+Q}[src]',
      '[',
      ']',
      '\\',
    ),
  );
  const words = fc.array(word, { maxLength: 10 });
  const loc = { file: 'fuzz.cfg', line: 1 };
  fc.assert(
    fc.property(words, words, fc.string({ maxLength: 40 }), (acl, terms, fmt) => {
      const diags: Diagnostic[] = [];
      const [criterion = '', ...args] = acl;
      const table = compileAcls([{ name: 'a', criterion, args, loc }], diags);
      const c = compileCondition({ polarity: 'if', terms, loc: { file: 'fuzz.cfg', line: 2 } }, table, diags);
      c(txn({ url: '/a?b=1', headers: [['Host', 'h']] }));
      compileLogFormat(fmt, loc, diags)(txn());
      compileFetch(fmt, loc, diags);
      for (const d of diags) {
        assert.equal(typeof d.message, 'string');
        assert.ok(d.code.startsWith('ACL_'), d.code);
      }
    }),
    { numRuns: 3000 },
  );
});
