/**
 * tcp-check rulesets, compiled as HAProxy 2.6 builds them (src/tcpcheck.c): the rules of `option
 * tcp-check`, and the fixed rulesets behind `option mysql-check`, `pgsql-check`, `redis-check`,
 * `smtpchk`, `ldap-check` and `ssl-hello-chk` (same bytes sent, same expect rules, same step
 * numbers, same result texts). tcp-check-run.ts runs them.
 */

import type { TcpCheckModel, TcpCheckRuleModel } from '@switchyard/config';
import { boundedRegex, checkedRegex } from '../acl/regex.ts';
import type { CheckResult } from '../model/server-state.ts';
import { HealthConfigError } from './http-check.ts';

/**
 * What an expect decides on the bytes received: wait for more, go on, fail (a result), or go on
 * after a custom expect passed with the words HAProxy logs for it (`{ passed }`).
 */
export type ExpectVerdict = 'wait' | 'continue' | { passed: string } | CheckResult;

/** A compiled `tcp-check expect`. */
export interface TcpExpect {
  negate: boolean;
  kind: 'string' | 'rstring' | 'binary' | 'rbinary' | 'custom';
  data?: Buffer;
  re?: RegExp;
  minRecv: number;
  okStatus?: string;
  errorStatus?: string;
  toutStatus?: string;
  onSuccess?: (buf: Buffer) => string;
  onError?: (buf: Buffer) => string;
  statusCode?: (buf: Buffer) => number | undefined;
  /** mysql / ldap: decides by itself (`isLast`: no rule after it). */
  custom?: (buf: Buffer, lastRead: boolean, isLast: boolean) => ExpectVerdict;
  /** Index (in `steps`) where evaluation resumes after waiting: the first negated expect of the chain, or itself. */
  head: number;
}

/** One step of a compiled ruleset (comments are folded into the following steps, as HAProxy does). */
export type TcpStep = {
  /** HAProxy's rule index: the step shown in messages is index + 1 (0 for the implicit connect). */
  index: number;
  comment?: string;
} & (
  | {
      action: 'connect';
      implicit: boolean;
      useDefault: boolean;
      port?: number;
      addr?: string;
      ssl: boolean;
      sni?: string;
      alpn?: string[];
      sendProxy: boolean;
      linger: boolean;
    }
  | { action: 'send'; bytes: () => Buffer }
  | { action: 'expect'; expect: TcpExpect }
);

/** A backend's compiled check. `proto` 'tcp' is `option tcp-check` (its messages name steps). */
export interface CompiledTcpCheck {
  proto: 'tcp' | 'mysql' | 'pgsql' | 'redis' | 'smtp' | 'ldap' | 'ssl3';
  steps: TcpStep[];
}

/** HAProxy's check buffer (tune.bufsize): a reply is read up to this many bytes. */
export const TCP_CHECK_BUFFER = 16384;

/** Longest `info` HAProxy keeps (HCHK_DESC_LEN - 1). */
export const CHECK_DESC_MAX = 127;

/** Step number as HAProxy prints it (tcpcheck_get_step_id). */
export function stepId(s: TcpStep | undefined): number {
  if (!s) return 1;
  if (s.action === 'connect' && s.implicit && s.index === 0) return 0;
  return s.index + 1;
}

/** A C string: what set_server_check_status() keeps of a text (up to a NUL, at most 127 bytes). */
export function cString(text: string): string {
  const nul = text.indexOf('\0');
  return (nul >= 0 ? text.slice(0, nul) : text).slice(0, CHECK_DESC_MAX);
}

/** `res.payload(off,len)` as text (len 0: to the end). */
function payload(buf: Buffer, off: number, len: number): string {
  if (off > buf.length) return '';
  return buf.toString('latin1', off, len === 0 ? buf.length : Math.min(buf.length, off + len));
}

/** `cut_crlf`: the text up to the first CR or LF. */
function cutCrlf(s: string): string {
  const m = /[\r\n]/.exec(s);
  return m ? s.slice(0, m.index) : s;
}

/** Integer value of a text sample, as HAProxy's str-to-int cast (undefined when it is not a number). */
function toInt(s: string): number | undefined {
  return /^\s*[-+]?\d+/.test(s) ? Number.parseInt(s, 10) : undefined;
}

interface ExpectSpec {
  negate?: boolean;
  kind: TcpExpect['kind'];
  pattern?: string;
  minRecv?: number;
  okStatus?: string;
  errorStatus?: string;
  toutStatus?: string;
  onSuccess?: (buf: Buffer) => string;
  onError?: (buf: Buffer) => string;
  statusCode?: (buf: Buffer) => number | undefined;
  custom?: TcpExpect['custom'];
}

function makeExpect(e: ExpectSpec): TcpExpect {
  const out: TcpExpect = { ...e, negate: e.negate ?? false, minRecv: e.minRecv ?? -1, head: 0 };
  const p = e.pattern ?? '';
  if (e.kind === 'string') out.data = Buffer.from(p, 'latin1');
  else if (e.kind === 'binary') out.data = Buffer.from(p, 'hex');
  else if (e.kind === 'rstring' || e.kind === 'rbinary') out.re = checkedRegex(p);
  return out;
}

/** Builder of a ruleset: appends steps with HAProxy's indexes and expect chains. */
class Rules {
  readonly steps: TcpStep[] = [];
  add(step: TcpStep): void {
    if (step.action === 'expect') {
      // All expects point back to the first negated expect of their chain (or themselves).
      let head = this.steps.length;
      for (let i = this.steps.length - 1; i >= 0; i--) {
        const prev = this.steps[i] as TcpStep;
        if (prev.action !== 'expect') break;
        if (prev.expect.negate) head = i;
      }
      step.expect.head = head;
    }
    this.steps.push(step);
  }
}

const connectStep = (index: number, linger: boolean, implicit: boolean): TcpStep => ({
  index,
  action: 'connect',
  implicit,
  useDefault: true,
  ssl: false,
  sendProxy: false,
  linger,
});

const sendStep = (index: number, bytes: Buffer | (() => Buffer)): TcpStep => ({
  index,
  action: 'send',
  bytes: typeof bytes === 'function' ? bytes : () => bytes,
});

const expectStep = (index: number, e: ExpectSpec): TcpStep => ({ index, action: 'expect', expect: makeExpect(e) });

/** Reads a MySQL packet at `offset` (tcpcheck_mysql_expect_packet). */
function mysqlPacket(buf: Buffer, offset: number, lastRead: boolean, isLast: boolean): ExpectVerdict {
  if (buf.length < offset + 4) return lastRead ? { status: 'L7RSP' } : 'wait';
  const plen = (buf[offset] as number) + ((buf[offset + 1] as number) << 8) + ((buf[offset + 2] as number) << 16);
  if (buf.length < offset + plen + 4) return lastRead ? { status: 'L7RSP' } : 'wait';
  if (buf[offset + 4] === 0xff) {
    // An error packet: 0xff, the error code, the message.
    const code = (buf[offset + 5] ?? 0) + ((buf[offset + 6] ?? 0) << 8);
    return { status: 'L7STS', code, info: buf.toString('latin1', offset + 7) };
  }
  // On the last rule HAProxy sets L7OK with the server version (the log line shows it), then the
  // end of the ruleset sets L7OK again with no info (what the stats show).
  return isLast ? { passed: buf.toString('latin1', 5) } : 'continue';
}

/** The LDAP bind response (tcpcheck_ldap_expect_bindrsp). */
function ldapBindResponse(buf: Buffer, lastRead: boolean): ExpectVerdict {
  const tooShort = (): ExpectVerdict => (lastRead ? { status: 'L7RSP' } : 'wait');
  const notLdap: CheckResult = { status: 'L7RSP', info: 'Not LDAPv3 protocol' };
  let p = 1;
  if (buf.length < 2) return tooShort();
  let nbytes = 0;
  let msglen: number;
  const first = buf[p] as number;
  if (first & 0x80) {
    nbytes = first & 0x7f;
    if (buf.length < 1 + nbytes) return tooShort();
    if (nbytes === 4) msglen = buf.readUInt32BE(p + 1);
    else if (nbytes === 2) msglen = buf.readUInt16BE(p + 1);
    else return notLdap;
  } else msglen = first;
  p += 1 + nbytes;
  if (buf.length < 2 + nbytes + msglen) return tooShort();
  if (buf.length < p + 4 || buf.compare(Buffer.from([0x02, 0x01, 0x01, 0x61]), 0, 4, p, p + 4) !== 0) return notLdap;
  p += 4;
  const len = buf[p] ?? 0;
  p += 1 + (len & 0x80 ? len & 0x7f : 0);
  if (buf[p] !== 0x0a || buf[p + 1] !== 0x01) return notLdap;
  p += 2;
  const code = buf[p] ?? 0;
  if (code !== 0) return { status: 'L7STS', code, info: 'See RFC: http://tools.ietf.org/html/rfc4511#section-4.1.9' };
  // "Success" is logged, then overwritten by the end of the ruleset, as for mysql.
  return { passed: 'Success' };
}

/** The SSLv3 ClientHello of `option ssl-hello-chk`, with the current time (proxy_parse_ssl_hello_chk_opt). */
function sslv3ClientHello(): Buffer {
  const head = Buffer.from('16030000790100007503000000000000', 'hex');
  // ContentType, version, length 0x79, ClientHello, length 0x75, version 3.0, then gmt_unix_time.
  const time = Math.floor(Date.now() / 1000) >>> 0;
  head.writeUInt32BE(time, 11);
  const random = Buffer.from('HAPROXYSSLCHK\nHAPROXYSSLCHK\n', 'latin1');
  let ciphers = '';
  for (let c = 1; c <= 0x1b; c++) ciphers += c.toString(16).padStart(4, '0');
  for (let c = 0x2f; c <= 0x3a; c++) ciphers += c.toString(16).padStart(4, '0');
  const tail = Buffer.from(`00004E${ciphers}0100`, 'hex');
  return Buffer.concat([head.subarray(0, 15), random, tail]);
}

/** Folds `comment` rules into the following rules, as check_proxy_tcpcheck() does. */
function foldComments(rules: TcpCheckRuleModel[]): Array<{ rule: TcpCheckRuleModel; index: number; comment?: string }> {
  const out: Array<{ rule: TcpCheckRuleModel; index: number; comment?: string }> = [];
  let comment: string | undefined;
  let prev: TcpCheckRuleModel['action'] = 'comment';
  rules.forEach((rule, index) => {
    if (rule.action !== prev && prev !== 'comment') comment = undefined;
    prev = rule.action;
    if (rule.action === 'comment') {
      comment = rule.comment;
      return;
    }
    out.push({ rule, index, comment: rule.comment ?? comment });
    if (rule.action === 'connect') comment = undefined;
  });
  return out;
}

/** The rules of `option tcp-check`, with the implicit first connect when none is written. */
function userRules(rules: TcpCheckRuleModel[]): Rules {
  const r = new Rules();
  const folded = foldComments(rules);
  if (folded[0]?.rule.action !== 'connect') r.add(connectStep(0, false, true));
  for (const { rule, index, comment } of folded) {
    if (rule.action === 'connect') {
      r.add({
        index,
        comment,
        action: 'connect',
        implicit: false,
        useDefault: rule.useDefault,
        port: rule.port,
        addr: rule.addr,
        ssl: rule.ssl,
        sni: rule.sni,
        alpn: rule.alpn?.split(','),
        sendProxy: rule.sendProxy,
        linger: rule.linger,
      });
    } else if (rule.action === 'send') {
      r.add(sendStep(index, Buffer.from(rule.data, rule.kind === 'binary' ? 'hex' : 'latin1')));
      (r.steps[r.steps.length - 1] as TcpStep).comment = comment;
    } else if (rule.action === 'expect') {
      if (rule.kind === 'rstring' || rule.kind === 'rbinary') {
        const re = boundedRegex(rule.pattern);
        if (typeof re === 'string') throw new HealthConfigError('CHK_BAD_REGEX', `tcp-check expect: ${re}`, rule.loc);
      }
      const onSuccess = rule.onSuccess;
      const onError = rule.onError;
      const sc = rule.statusCode;
      r.add(
        expectStep(index, {
          negate: rule.negate,
          kind: rule.kind,
          pattern: rule.pattern,
          minRecv: rule.minRecv,
          okStatus: rule.okStatus,
          errorStatus: rule.errorStatus,
          toutStatus: rule.toutStatus,
          onSuccess: onSuccess === undefined ? undefined : () => onSuccess,
          onError: onError === undefined ? undefined : () => onError,
          statusCode: sc ? (buf) => toInt(payload(buf, sc.offset, sc.length)) : undefined,
        }),
      );
      (r.steps[r.steps.length - 1] as TcpStep).comment = comment;
    }
  }
  return r;
}

/** Compiles a backend's `option tcp-check` / protocol check into the steps HAProxy runs. */
export function compileTcpCheck(m: TcpCheckModel): CompiledTcpCheck {
  const r = new Rules();
  switch (m.kind) {
    case 'tcp-check':
      return { proto: 'tcp', steps: userRules(m.rules).steps };
    case 'redis-check':
      r.add(connectStep(0, false, true));
      r.add(sendStep(0, Buffer.from('*1\r\n$4\r\nPING\r\n', 'latin1')));
      r.add(
        expectStep(1, {
          kind: 'string',
          pattern: '+PONG\r\n',
          errorStatus: 'L7STS',
          onError: (b) => cutCrlf(payload(b, 0, 0)),
          onSuccess: () => 'Redis server is ok',
        }),
      );
      return { proto: 'redis', steps: r.steps };
    case 'ssl-hello-chk':
      r.add(connectStep(0, false, true));
      r.add(sendStep(0, sslv3ClientHello));
      r.add(
        expectStep(1, {
          kind: 'rbinary',
          pattern: '^1[56]',
          minRecv: 5,
          okStatus: 'L6OK',
          errorStatus: 'L6RSP',
          toutStatus: 'L6TOUT',
        }),
      );
      return { proto: 'ssl3', steps: r.steps };
    case 'smtpchk': {
      const cmd = Buffer.from(`${m.command}\r\n`, 'latin1');
      const text = (b: Buffer): string => cutCrlf(payload(b, 4, 0).replace(/^ +/, ''));
      const code = (b: Buffer): number | undefined => toInt(payload(b, 0, 3));
      r.add(connectStep(0, true, false));
      r.add(
        expectStep(1, {
          kind: 'rstring',
          pattern: '^[0-9]{3}[ \r]',
          minRecv: 4,
          errorStatus: 'L7RSP',
          onError: (b) => cutCrlf(payload(b, 0, 0)),
        }),
      );
      r.add(
        expectStep(2, {
          kind: 'rstring',
          pattern: '^2[0-9]{2}[ \r]',
          minRecv: 4,
          errorStatus: 'L7STS',
          onError: text,
          statusCode: code,
        }),
      );
      r.add(sendStep(3, cmd));
      // The whole (multi-line) EHLO reply, then QUIT and its 2xx: haproxy 2.6.12 closes the SMTP
      // session cleanly (HAProxy commits 2ec1ffaed and 9a8d8a3fd, backported to 2.6).
      r.add(
        expectStep(4, {
          kind: 'rstring',
          pattern: '^(2[0-9]{2}-[^\r]*\r\n)*2[0-9]{2}[ \r]',
          errorStatus: 'L7STS',
          onError: text,
          onSuccess: text,
          statusCode: code,
        }),
      );
      r.add(sendStep(5, Buffer.from('QUIT\r\n', 'latin1')));
      r.add(
        expectStep(6, {
          kind: 'rstring',
          pattern: '^2[0-9]{2}[- \r]',
          minRecv: 4,
          errorStatus: 'L7STS',
          onError: text,
          onSuccess: text,
          statusCode: code,
        }),
      );
      return { proto: 'smtp', steps: r.steps };
    }
    case 'pgsql-check': {
      const user = Buffer.from(m.user, 'latin1');
      const len = Buffer.alloc(4);
      len.writeUInt32BE(15 + user.length);
      const startup = Buffer.concat([len, Buffer.from('000300007573657200', 'hex'), user, Buffer.from([0, 0])]);
      r.add(connectStep(0, true, false));
      r.add(sendStep(1, startup));
      r.add(
        expectStep(2, {
          negate: true,
          kind: 'rstring',
          pattern: '^E',
          minRecv: 5,
          errorStatus: 'L7RSP',
          onError: (b) => payload(b, 6, 0),
        }),
      );
      r.add(
        expectStep(3, {
          kind: 'rbinary',
          // The regex of haproxy 2.6.12 (commit 0d6fb7a3e: SCRAM and other authentication requests).
          pattern: '^52000000[A-Z0-9]{2}000000(00|02|03|04|05|06|07|09|0A)',
          minRecv: 9,
          errorStatus: 'L7STS',
          onSuccess: () => 'PostgreSQL server is ok',
          onError: () => 'PostgreSQL unknown error',
        }),
      );
      return { proto: 'pgsql', steps: r.steps };
    }
    case 'mysql-check': {
      let index = 0;
      r.add(connectStep(index++, true, false));
      if (m.user !== undefined) {
        const user = Buffer.from(m.user, 'latin1');
        const body = m.post41
          ? Buffer.concat([Buffer.from(`0082000000800001210000${'00'.repeat(21)}`, 'hex'), user])
          : Buffer.concat([Buffer.from('0080000001', 'hex'), user]);
        const plen = body.length + 2;
        const hdr = Buffer.from([plen & 0xff, (plen >> 8) & 0xff, (plen >> 16) & 0xff, 1]);
        // The user's NUL, the empty auth data, then COM_QUIT (length 1, sequence 0, 0x01).
        r.add(sendStep(index++, Buffer.concat([hdr, body, Buffer.from('0000010000' + '0001', 'hex')])));
      }
      r.add(
        expectStep(index++, {
          kind: 'custom',
          custom: (b, lastRead, isLast) => mysqlPacket(b, 0, lastRead, isLast),
        }),
      );
      if (m.user !== undefined) {
        r.add(
          expectStep(index++, {
            kind: 'custom',
            custom: (b, lastRead, isLast) => {
              const hslen =
                b.length < 3 ? 4 : 4 + (b[0] as number) + ((b[1] as number) << 8) + ((b[2] as number) << 16);
              return mysqlPacket(b, hslen, lastRead, isLast);
            },
          }),
        );
      }
      return { proto: 'mysql', steps: r.steps };
    }
    case 'ldap-check':
      r.add(connectStep(0, false, true));
      r.add(sendStep(0, Buffer.from('300C020101600702010304008000', 'hex')));
      r.add(expectStep(1, { kind: 'rbinary', pattern: '^30', minRecv: 14, onError: () => 'Not LDAPv3 protocol' }));
      r.add(expectStep(2, { kind: 'custom', custom: (b, lastRead) => ldapBindResponse(b, lastRead) }));
      return { proto: 'ldap', steps: r.steps };
  }
}

/** The words chk_report_conn_err() adds for the step a tcp-check failed at (tcp-check rulesets only). */
export function stepContext(c: CompiledTcpCheck, step: TcpStep | undefined): string {
  if (c.proto !== 'tcp') return '';
  const id = stepId(step);
  if (id === 0) return ' at initial connection step of tcp-check';
  let out = ` at step ${id} of tcp-check`;
  if (step?.action === 'connect') out += step.port ? ` (connect port ${step.port})` : ' (connect)';
  else if (step?.action === 'expect') {
    const e = step.expect;
    const data = e.data ? cString(e.data.toString('latin1')) : '';
    if (e.kind === 'string') out += ` (expect string '${data}')`;
    else if (e.kind === 'binary') out += ` (expect binary '${data}')`;
    else if (e.kind === 'rstring') out += ' (expect regex)';
    else if (e.kind === 'rbinary') out += ' (expect binary regex)';
    else out += ' (expect custom function)';
  } else if (step?.action === 'send') out += ' (send)';
  if (step?.comment) out += ` comment: '${step.comment}'`;
  return out;
}

/**
 * An expect rule on the bytes received (tcpcheck_eval_expect): 'wait' for more, 'continue' to the
 * next rule, or the failed result with HAProxy's words.
 */
export function evaluateExpect(
  c: CompiledTcpCheck,
  step: Extract<TcpStep, { action: 'expect' }>,
  buf: Buffer,
  lastReadIn: boolean,
  isLast: boolean,
): ExpectVerdict {
  const e = step.expect;
  const lastRead = lastReadIn || buf.length >= TCP_CHECK_BUFFER;
  if (e.custom) {
    const v = e.custom(buf, lastRead, isLast);
    if (typeof v === 'string' || 'passed' in v) return v;
    return withInfo(v, failureInfo(c, step, buf, false, v.info ?? ''));
  }
  if (!lastRead) {
    if (e.data && buf.length < e.data.length) return 'wait';
    if (e.minRecv > 0 && buf.length < e.minRecv) return 'wait';
  }
  let match: boolean;
  if (e.data) match = buf.indexOf(e.data) >= 0;
  else if (e.kind === 'rstring') match = (e.re as RegExp).test(buf.toString('latin1', 0, TCP_CHECK_BUFFER - 1));
  else match = (e.re as RegExp).test(buf.toString('hex').toUpperCase());
  if (!match && !lastRead && e.minRecv === -1) return 'wait';
  if (match !== e.negate) return 'continue';
  const r: CheckResult = { status: e.errorStatus ?? 'L7RSP', code: e.statusCode?.(buf) ?? 0 };
  return withInfo(r, failureInfo(c, step, buf, match, ''));
}

/** tcpcheck_expect_onerror_message(): the info of a failed expect. */
function failureInfo(
  c: CompiledTcpCheck,
  step: Extract<TcpStep, { action: 'expect' }>,
  buf: Buffer,
  match: boolean,
  given: string,
): string {
  const e = step.expect;
  let msg = '';
  if (given) msg = given;
  else if (e.onError) msg = e.onError(buf);
  else if (c.proto === 'tcp') {
    msg = match ? 'TCPCHK matched unwanted content' : 'TCPCHK did not match content';
    const id = stepId(step);
    if (e.kind === 'string') msg += ` '${(e.data as Buffer).toString('latin1')}' at step ${id}`;
    else if (e.kind === 'binary') msg += ` (binary) at step ${id}`;
    else if (e.kind === 'rstring') msg += ` (regex) at step ${id}`;
    else if (e.kind === 'rbinary') msg += ` (binary regex) at step ${id}`;
    else msg += ` (custom function) at step ${id}`;
  }
  if (step.comment) msg += ` comment: ${step.comment}`;
  return msg;
}

/** The result of a ruleset that ran to its end, from the last step run (tcpcheck_main's end). */
export function successResult(
  c: CompiledTcpCheck,
  last: TcpStep | undefined,
  buf: Buffer,
  tls: boolean,
  disableOn404: boolean,
): CheckResult {
  const tcp = c.proto === 'tcp';
  if (last?.action === 'expect') {
    const e = last.expect;
    const code = e.statusCode?.(buf) ?? 0;
    if (disableOn404 && code === 404) return { status: 'L7OKC', code };
    const info = e.onSuccess ? e.onSuccess(buf) : tcp ? '(tcp-check)' : '';
    return withInfo({ status: e.okStatus ?? 'L7OK', code }, info);
  }
  if (last?.action === 'connect') {
    return withInfo({ status: tls ? 'L6OK' : 'L4OK' }, last.implicit ? '' : '(tcp-check)');
  }
  return { status: 'L7OK', code: 0, info: '(tcp-check)' };
}

/** Sets `info` as HAProxy keeps it (C string, 127 bytes at most; none when empty). */
export function withInfo(r: CheckResult, info: string | undefined): CheckResult {
  const text = info === undefined ? '' : cString(info);
  if (text) r.info = text;
  else delete r.info;
  if (r.code !== undefined && !['L7OK', 'L7OKC', 'L7STS'].includes(r.status)) delete r.code;
  return r;
}
