/**
 * HTTP authentication against `userlist` sections, as HAProxy 2.6: `http_auth(L)` (bool),
 * `http_auth_group(L)` (the user name as a sample; in an ACL, its patterns are group names),
 * `http_auth_type`, `http_auth_user`, `http_auth_pass`. The `Authorization: Basic` header is
 * parsed once per request; the userlists of the configuration being compiled are installed with
 * setCompilingUserlists() by the runtime builder, so a fetch naming an unknown list is a load error.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { UserlistModel } from '@switchyard/config';
import type { HttpTxn } from '../model/txn.ts';
import { verifyCrypt } from './crypt.ts';
import type { FetchDef, FetchFn } from './types.ts';

/** A userlist ready for lookups: users by name, each with its checker and groups. */
export interface CompiledUserlist {
  name: string;
  users: Map<string, { password?: string; insecure: boolean; groups: string[] }>;
  /** Recent successful verifications (HMAC of user and password), so a crypt is not redone per request. */
  verified: Set<string>;
}

let compiling = new Map<string, CompiledUserlist>();
const CACHE_KEY = randomBytes(32);
const CACHE_MAX = 1024;

/** Installs the userlists fetches compiled from now on refer to (one configuration's). */
export function setCompilingUserlists(lists: UserlistModel[] | undefined): Map<string, CompiledUserlist> {
  compiling = new Map();
  for (const ul of lists ?? []) {
    const users = new Map<string, { password?: string; insecure: boolean; groups: string[] }>();
    for (const u of ul.users) users.set(u.name, { password: u.password, insecure: u.insecure, groups: u.groups });
    compiling.set(ul.name, { name: ul.name, users, verified: new Set() });
  }
  return compiling;
}

/** The userlist named `name` in the configuration being compiled. */
export function compilingUserlist(name: string): CompiledUserlist | undefined {
  return compiling.get(name);
}

interface AuthData {
  type: 'basic' | 'bearer';
  user?: string;
  pass?: Buffer;
}

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The Authorization header as HAProxy's get_http_auth() reads it (first occurrence). */
function authOf(txn: HttpTxn): AuthData | undefined {
  const cached = txn.cache.auth as AuthData | null | undefined;
  if (cached !== undefined) return cached ?? undefined;
  const parsed = parseAuth(txn);
  txn.cache.auth = parsed ?? null;
  return parsed;
}

function parseAuth(txn: HttpTxn): AuthData | undefined {
  const h = txn.rawHeaders;
  let v: string | undefined;
  for (let i = 0; i < h.length; i += 2)
    if (h[i].length === 13 && h[i].toLowerCase() === 'authorization') {
      v = h[i + 1];
      break;
    }
  if (v === undefined) return undefined;
  const sp = v.indexOf(' ');
  if (sp <= 0) return undefined;
  // strncasecmp("Basic", method, len(method)): a prefix of the scheme name is accepted, as in HAProxy
  const method = v.slice(0, sp).toLowerCase();
  const data = v.slice(sp).replace(/^ +/, '');
  if ('basic'.startsWith(method)) {
    if (data.length % 4 !== 0 || !B64.test(data)) return undefined;
    let raw = Buffer.from(data, 'base64');
    const nul = raw.indexOf(0);
    if (nul >= 0) raw = raw.subarray(0, nul);
    const colon = raw.indexOf(0x3a);
    if (colon < 0) return undefined;
    return { type: 'basic', user: raw.subarray(0, colon).toString('latin1'), pass: raw.subarray(colon + 1) };
  }
  if ('bearer'.startsWith(method)) return { type: 'bearer' };
  return undefined;
}

/** The authenticated user's groups, or undefined when the credentials do not check against `ul`. */
function check(txn: HttpTxn, ul: CompiledUserlist): string[] | undefined {
  const a = authOf(txn);
  if (a?.type !== 'basic' || a.user === undefined || a.pass === undefined) return undefined;
  const u = ul.users.get(a.user);
  if (!u || u.password === undefined) return undefined;
  if (u.insecure) return a.pass.equals(Buffer.from(u.password, 'latin1')) ? u.groups : undefined;
  const key = createHmac('sha256', CACHE_KEY)
    .update(a.user)
    .update('\0')
    .update(a.pass)
    .update('\0')
    .update(u.password)
    .digest('base64');
  if (ul.verified.has(key)) return u.groups;
  if (!verifyCrypt(a.pass, u.password)) return undefined;
  if (ul.verified.size >= CACHE_MAX) ul.verified.clear();
  ul.verified.add(key);
  return u.groups;
}

function userlistFetch(
  type: 'bool' | 'str',
  read: (txn: HttpTxn, ul: CompiledUserlist, multi: boolean) => ReturnType<FetchFn>,
): FetchDef {
  return {
    type,
    minArgs: 1,
    maxArgs: 1,
    create(args, ctx) {
      const ul = compiling.get(args[0]);
      if (!ul) return `unable to find userlist '${args[0]}'`;
      const multi = ctx.multi;
      return (txn) => read(txn, ul, multi);
    },
  };
}

const basicPart = (part: 'user' | 'pass'): FetchDef => ({
  type: 'str',
  minArgs: 0,
  maxArgs: 0,
  create: () => (txn) => {
    const a = authOf(txn);
    if (a?.type !== 'basic') return undefined;
    return part === 'user' ? a.user : a.pass?.toString('latin1');
  },
});

/** The `http_auth*` fetches. */
export const AUTH_FETCHES: Array<[string[], FetchDef]> = [
  [
    ['http_auth'],
    // no sample without Basic credentials, a boolean otherwise (HAProxy's smp_fetch_http_auth)
    userlistFetch('bool', (txn, ul) => (authOf(txn)?.type === 'basic' ? check(txn, ul) !== undefined : undefined)),
  ],
  // In an ACL the patterns are group names (the user's groups are the samples); elsewhere the user name.
  [
    ['http_auth_group'],
    userlistFetch('str', (txn, ul, multi) => {
      const groups = check(txn, ul);
      if (groups === undefined) return undefined;
      if (multi) return groups.length ? groups : undefined;
      return authOf(txn)?.user;
    }),
  ],
  [
    ['http_auth_type'],
    {
      type: 'str',
      minArgs: 0,
      maxArgs: 0,
      create: () => (txn) => {
        const t = authOf(txn)?.type;
        return t === 'basic' ? 'Basic' : t === 'bearer' ? 'Bearer' : undefined;
      },
    },
  ],
  [['http_auth_user'], basicPart('user')],
  [['http_auth_pass'], basicPart('pass')],
];
