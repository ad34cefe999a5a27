/**
 * `userlist NAME` sections (HAProxy 2.6 cfg_parse_users and userlist_postinit): `user`, `group`.
 * Names of groups and users given in `groups`/`users` lists are resolved once the whole
 * configuration is read, as HAProxy does, with the same messages.
 */
import type { Reporter } from './diagnostics.ts';
import type { UserlistModel } from './model.ts';
import { err, type LineCtx, warn } from './state.ts';
import { didYouMean } from './suggest.ts';

const NAME_RE = /^[A-Za-z0-9_.:-]+$/;

/**
 * crypt(3) methods Switchyard verifies: MD5 `$1$`, SHA-256 `$5$`, SHA-512 `$6$`, bcrypt `$2a$`/`$2b$`/`$2y$`.
 * Debian's libcrypt also has yescrypt (`$y$`, mkpasswd's default), scrypt, DES and others: refused
 * rather than accepted and never matching.
 */
const HASH_RE = /^(\$1\$|\$5\$|\$6\$|\$2[aby]\$\d\d\$)/;

/** The name after `userlist`, or undefined when missing or invalid. */
export function userlistName(words: string[]): string | undefined {
  const name = words[1];
  if (!name || words.length > 2 || !NAME_RE.test(name)) return undefined;
  return name;
}

/** Parses one line inside a userlist section. */
export function parseUserlistLine(ctx: LineCtx, ul: UserlistModel): void {
  const [kw, name] = ctx.args;
  if (kw !== 'user' && kw !== 'group')
    return void err(
      ctx,
      'CFG_UNKNOWN_KEYWORD',
      `unknown keyword '${kw}' in 'userlist' section${didYouMean(kw, ['user', 'group'])}`,
    );
  if (!name) return void err(ctx, 'CFG_MISSING_ARG', `'${kw}' expects <name> as arguments`);
  if (kw === 'group') {
    if (!NAME_RE.test(name)) return void err(ctx, 'CFG_BAD_NAME', `character not permitted in 'group' name '${name}'`);
    if (ul.groups.some((g) => g.name === name))
      return void warn(ctx, 'CFG_DUPLICATE_NAME', `ignoring duplicated group '${name}' in userlist '${ul.name}'`);
    const users: string[] = [];
    for (let i = 2; i < ctx.args.length; i += 2) {
      if (ctx.args[i] !== 'users' || ctx.args[i + 1] === undefined)
        return void err(ctx, 'CFG_EXTRA_ARGS', `'group' only supports 'users' option (users U1,U2,...)`);
      users.push(...ctx.args[i + 1].split(',').filter((u) => u !== ''));
    }
    ul.groups.push({ name, users, loc: { ...ctx.loc } });
    return;
  }
  if (ul.users.some((u) => u.name === name))
    return void warn(ctx, 'CFG_DUPLICATE_NAME', `ignoring duplicated user '${name}' in userlist '${ul.name}'`);
  const user: UserlistModel['users'][number] = { name, insecure: false, groups: [], loc: { ...ctx.loc } };
  for (let i = 2; i < ctx.args.length; i += 2) {
    const opt = ctx.args[i];
    const v = ctx.args[i + 1];
    if (opt !== 'password' && opt !== 'insecure-password' && opt !== 'groups')
      return void err(
        ctx,
        'CFG_EXTRA_ARGS',
        `'user' only supports 'password', 'insecure-password' and 'groups' options, got '${opt}'`,
      );
    if (v === undefined) return void err(ctx, 'CFG_MISSING_ARG', `'user ${name}': '${opt}' expects a value`);
    if (opt === 'groups') user.groups.push(...v.split(',').filter((g) => g !== ''));
    else {
      if (opt === 'password' && !HASH_RE.test(v))
        return void err(
          ctx,
          'CFG_UNSUPPORTED',
          `the encrypted password used for user '${name}' is not supported: Switchyard verifies crypt(3) MD5 ($1$), SHA-256 ($5$), SHA-512 ($6$) and bcrypt ($2b$) hashes; make one with 'mkpasswd -m sha512crypt'`,
        );
      user.password = v;
      user.insecure = opt === 'insecure-password';
    }
  }
  if (user.password === undefined)
    warn(
      ctx,
      'CFG_NO_EFFECT',
      `user '${name}' has no password: it never authenticates (HAProxy 2.6 crashes when such a user logs in)`,
    );
  ul.users.push(user);
}

/** Resolves `groups` and `users` lists (HAProxy's userlist_postinit); unknown names are errors. */
export function resolveUserlists(lists: UserlistModel[], r: Reporter): void {
  for (const ul of lists) {
    const groupNames = new Set(ul.groups.map((g) => g.name));
    for (const u of ul.users)
      for (const g of u.groups)
        if (!groupNames.has(g))
          r.error(u.loc, 'CFG_BAD_NAME', `userlist '${ul.name}': no such group '${g}' specified in user '${u.name}'`);
    for (const g of ul.groups)
      for (const name of g.users) {
        const u = ul.users.find((x) => x.name === name);
        if (!u) {
          r.error(
            g.loc,
            'CFG_BAD_NAME',
            `userlist '${ul.name}': no such user '${name}' specified in group '${g.name}'`,
          );
          continue;
        }
        if (!u.groups.includes(g.name)) u.groups.push(g.name);
      }
  }
}
