/**
 * The proxy's error replies, as HAProxy 2.6's http_htx.c: `errorfile CODE FILE`, `errorloc`,
 * `errorloc302`, `errorloc303`, `errorfiles NAME [CODE...]`, `http-error status N ...`, and the
 * `http-errors NAME` sections they import from. Each line is kept in order (the defaults' first,
 * copied with the rest of the defaults) and applied once every section is known: the last line
 * naming a code wins.
 */

import type { Reporter } from '../diagnostics.ts';
import type { ConfigModel, ErrorDirective, HttpErrorsModel, SourceLoc } from '../model.ts';
import { err, type LineCtx, need, noExtra, type SectionState, warn } from '../state.ts';
import { payload, readErrorFile } from './http-rules.ts';
import { BE, DEF, FE, type ProxyKeyword } from './types.ts';

/** The codes HAProxy keeps a reply for (http_err_codes). */
export const ERROR_CODES = [
  200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 421, 422, 425, 429, 500, 501, 502, 503, 504,
];

function code(ctx: LineCtx, v: string): number | undefined {
  const n = Number.parseInt(v, 10);
  if (!ERROR_CODES.includes(n))
    return void err(ctx, 'CFG_BAD_VALUE', `${ctx.args[0]} : status code '${Number.isNaN(n) ? 0 : n}' not handled.`);
  return n;
}

function push(s: SectionState, d: ErrorDirective): void {
  s.model.errorDirectives.push(d);
}

/** `errorfile CODE FILE`: the file's content (a full HTTP response) replaces the built-in page. */
function errorfile(ctx: LineCtx, s: SectionState): void {
  if (ctx.args[1] === undefined || ctx.args[2] === undefined)
    return void err(ctx, 'CFG_MISSING_ARG', `${ctx.args[0]} : expects <status_code> and <file> as arguments.`);
  if (!noExtra(ctx, 3)) return;
  const n = code(ctx, ctx.args[1]);
  if (n === undefined) return;
  if (!ctx.readFile)
    return void warn(
      ctx,
      'CFG_NO_EFFECT',
      `'errorfile ${n}' not loaded: the configuration was parsed without file access; the built-in page is used`,
    );
  const raw = readErrorFile(ctx, ctx.args[2], `'errorfile ${n}'`);
  if (raw !== undefined) push(s, { kind: 'reply', status: n, raw, loc: { ...ctx.loc } });
}

/** `errorloc[302|303] CODE URL`: the error becomes a redirect (HAProxy's http_parse_errorloc, byte for byte). */
function errorloc(ctx: LineCtx, s: SectionState): void {
  const kw = ctx.args[0];
  if (ctx.args[1] === undefined || ctx.args[2] === undefined)
    return void err(ctx, 'CFG_MISSING_ARG', `${kw} : expects <status_code> and <url> as arguments.`);
  if (!noExtra(ctx, 3)) return;
  const n = code(ctx, ctx.args[1]);
  if (n === undefined) return;
  const head = kw === 'errorloc303' ? 'HTTP/1.1 303 See Other' : 'HTTP/1.1 302 Found';
  const raw = `${head}\r\nCache-Control: no-cache\r\nContent-length: 0\r\nLocation: ${ctx.args[2]}\r\n\r\n`;
  push(s, { kind: 'reply', status: n, raw, loc: { ...ctx.loc } });
}

/** `errorfiles NAME [CODE...]`: the replies of an http-errors section (all its codes, or those listed). */
function errorfiles(ctx: LineCtx, s: SectionState): void {
  const name = need(ctx, 1, '<name>');
  if (name === undefined) return;
  const codes: number[] = [];
  for (const v of ctx.args.slice(2)) {
    const n = code(ctx, v);
    if (n === undefined) return;
    codes.push(n);
  }
  push(s, { kind: 'errorfiles', name, ...(codes.length ? { codes } : {}), loc: { ...ctx.loc } });
}

/**
 * `http-error status N [content-type T] [default-errorfiles|errorfile F|errorfiles NAME|file F|
 * string S] [hdr NAME VALUE]...`: the reply the proxy sends for its own errors with status N.
 */
function httpError(ctx: LineCtx, s: SectionState): void {
  const what = "'http-error'";
  const p = payload(ctx, ctx.args, 1, what, 'status');
  if (!p) return;
  if (p.status === undefined)
    return void err(ctx, 'CFG_MISSING_ARG', 'http-error : expects at least a <status> as arguments.');
  if (!ERROR_CODES.includes(p.status))
    return void err(ctx, 'CFG_BAD_VALUE', `http-error: status code '${p.status}' not handled.`);
  const dynamic = p.headers.find(([, v]) => v.includes('%'));
  if (dynamic)
    return void err(
      ctx,
      'CFG_UNSUPPORTED',
      `${what}: 'hdr ${dynamic[0]}' with a log-format value is not supported yet; give a plain value`,
    );
  const loc = { ...ctx.loc };
  if (p.errorfiles !== undefined)
    return void push(s, { kind: 'errorfiles', name: p.errorfiles, codes: [p.status], loc });
  if (p.errorfile !== undefined) return void push(s, { kind: 'reply', status: p.status, raw: p.errorfile, loc });
  if (p.defaultErrorfiles) return void push(s, { kind: 'reply', status: p.status, raw: null, loc });
  // HAProxy's http_reply_to_htx: the status line, the hdr headers, content-length, content-type
  let raw = `HTTP/1.1 ${p.status} \r\n`;
  for (const [n, v] of p.headers) {
    const l = n.toLowerCase();
    if (l === 'content-length' || l === 'transfer-encoding' || l === 'content-type') {
      warn(ctx, 'CFG_NO_EFFECT', `header '${n}' always ignored by the http reply.`);
      continue;
    }
    raw += `${n}: ${v}\r\n`;
  }
  // a log-format body is rendered per reply (the length is set then)
  const body = p.lf ? '' : (p.body ?? '');
  raw += `content-length: ${Buffer.byteLength(body, 'latin1')}\r\n`;
  if (p.contentType !== undefined && p.body !== undefined) raw += `content-type: ${p.contentType}\r\n`;
  const lf = p.lf && p.body !== undefined ? { lf: p.body } : {};
  push(s, { kind: 'reply', status: p.status, raw: `${raw}\r\n${body}`, ...lf, loc });
}

const CAPS = FE | BE | DEF;
export const ERROR_KEYWORDS: Record<string, ProxyKeyword> = {
  errorfile: { caps: CAPS, fn: errorfile },
  errorloc: { caps: CAPS, fn: errorloc },
  errorloc302: { caps: CAPS, fn: errorloc },
  errorloc303: { caps: CAPS, fn: errorloc },
  errorfiles: { caps: CAPS, fn: errorfiles },
  'http-error': { caps: CAPS, fn: httpError },
};

/** A line of an `http-errors` section: `errorfile CODE FILE` only. */
export function parseHttpErrorsLine(ctx: LineCtx, section: HttpErrorsModel): void {
  const kw = ctx.args[0];
  if (kw !== 'errorfile')
    return void err(ctx, 'CFG_UNKNOWN_KEYWORD', `unknown keyword '${kw}' in 'http-errors' section`);
  if (ctx.args[1] === undefined || ctx.args[2] === undefined)
    return void err(ctx, 'CFG_MISSING_ARG', 'errorfile: expects <status_code> and <file> as arguments.');
  if (!noExtra(ctx, 3)) return;
  const n = code(ctx, ctx.args[1]);
  if (n === undefined) return;
  const raw = readErrorFile(ctx, ctx.args[2], `'errorfile ${n}'`);
  if (raw !== undefined) section.files[n] = raw;
}

/**
 * Applies every proxy's error lines in order (HAProxy's proxy_check_errors) into errorFiles, and
 * resolves `return|deny ... errorfiles NAME`. An unknown section is an error at the line naming it.
 */
export function resolveErrorReplies(config: ConfigModel, r: Reporter): void {
  const sections = new Map((config.httpErrors ?? []).map((h) => [h.name, h]));
  const find = (name: string, loc: SourceLoc, px: string): HttpErrorsModel | undefined => {
    const h = sections.get(name);
    if (!h) r.error(loc, 'CFG_UNKNOWN_HTTP_ERRORS', `proxy '${px}': unknown http-errors section '${name}'`);
    return h;
  };
  for (const p of config.proxies) {
    const files: Record<number, string> = {};
    const formats: Record<number, { format: string; loc: SourceLoc }> = {};
    for (const d of p.errorDirectives) {
      if (d.kind === 'reply') {
        if (d.raw === null) delete files[d.status];
        else files[d.status] = d.raw;
        if (d.lf !== undefined) formats[d.status] = { format: d.lf, loc: d.loc };
        else delete formats[d.status];
        continue;
      }
      const h = find(d.name, d.loc, p.name);
      if (!h) continue;
      for (const c of d.codes ?? ERROR_CODES) {
        if (h.files[c] !== undefined) {
          files[c] = h.files[c];
          delete formats[c];
        } else if (d.codes)
          r.warn(
            d.loc,
            'CFG_NO_EFFECT',
            `config: proxy '${p.name}' : status '${c}' not declared in http-errors section '${h.name}'`,
          );
      }
    }
    p.errorFiles = files;
    if (Object.keys(formats).length > 0) p.errorFormats = formats;
    for (const rules of [p.httpRequest, p.httpResponse])
      for (const rule of rules) {
        if ((rule.action !== 'return' && rule.action !== 'deny') || rule.errorfiles === undefined) continue;
        const h = find(rule.errorfiles, rule.loc, p.name);
        const raw = h?.files[rule.status];
        if (raw !== undefined) rule.errorfile = raw;
      }
  }
}
