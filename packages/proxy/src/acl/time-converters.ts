/**
 * `utime(format[,offset])` and `ltime(format[,offset])`: an epoch time (seconds) formatted with
 * strftime directives, in UTC or in the local time zone. The format is checked once at load;
 * supported directives: %a %A %b %B %c %C %d %D %e %F %H %I %j %k %l %m %M %n %p %R %s %S %t %T
 * %u %w %y %Y %z %Z %%.
 */
import { toInt } from './cast.ts';
import type { ConverterDef } from './converters.ts';

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

interface Parts {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
  wd: number;
  /** Offset from UTC in minutes (east positive). */
  off: number;
  epoch: number;
  utc: boolean;
  date: Date;
}

const p2 = (n: number) => String(n).padStart(2, '0');

function dayOfYear(p: Parts): number {
  const start = Date.UTC(p.y, 0, 1);
  return Math.floor((Date.UTC(p.y, p.mo, p.d) - start) / 86400000) + 1;
}

type Directive = (p: Parts) => string;

const DIRECTIVES: Record<string, Directive> = {
  a: (p) => DAYS[p.wd].slice(0, 3),
  A: (p) => DAYS[p.wd],
  b: (p) => MONTHS[p.mo].slice(0, 3),
  B: (p) => MONTHS[p.mo],
  c: (p) =>
    `${DAYS[p.wd].slice(0, 3)} ${MONTHS[p.mo].slice(0, 3)} ${String(p.d).padStart(2, ' ')} ${p2(p.h)}:${p2(p.mi)}:${p2(p.s)} ${p.y}`,
  C: (p) => p2(Math.floor(p.y / 100)),
  d: (p) => p2(p.d),
  D: (p) => `${p2(p.mo + 1)}/${p2(p.d)}/${p2(p.y % 100)}`,
  e: (p) => String(p.d).padStart(2, ' '),
  F: (p) => `${p.y}-${p2(p.mo + 1)}-${p2(p.d)}`,
  H: (p) => p2(p.h),
  I: (p) => p2(p.h % 12 === 0 ? 12 : p.h % 12),
  j: (p) => String(dayOfYear(p)).padStart(3, '0'),
  k: (p) => String(p.h).padStart(2, ' '),
  l: (p) => String(p.h % 12 === 0 ? 12 : p.h % 12).padStart(2, ' '),
  m: (p) => p2(p.mo + 1),
  M: (p) => p2(p.mi),
  n: () => '\n',
  p: (p) => (p.h < 12 ? 'AM' : 'PM'),
  R: (p) => `${p2(p.h)}:${p2(p.mi)}`,
  s: (p) => String(p.epoch),
  S: (p) => p2(p.s),
  t: () => '\t',
  T: (p) => `${p2(p.h)}:${p2(p.mi)}:${p2(p.s)}`,
  u: (p) => String(p.wd === 0 ? 7 : p.wd),
  w: (p) => String(p.wd),
  y: (p) => p2(p.y % 100),
  Y: (p) => String(p.y),
  z: (p) => {
    const a = Math.abs(p.off);
    return `${p.off < 0 ? '-' : '+'}${p2(Math.floor(a / 60))}${p2(a % 60)}`;
  },
  Z: (p) =>
    p.utc
      ? 'GMT'
      : (new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' })
          .formatToParts(p.date)
          .find((x) => x.type === 'timeZoneName')?.value ?? ''),
  '%': () => '%',
};

function parts(epoch: number, utc: boolean): Parts {
  const date = new Date(epoch * 1000);
  if (utc) {
    return {
      y: date.getUTCFullYear(),
      mo: date.getUTCMonth(),
      d: date.getUTCDate(),
      h: date.getUTCHours(),
      mi: date.getUTCMinutes(),
      s: date.getUTCSeconds(),
      wd: date.getUTCDay(),
      off: 0,
      epoch,
      utc,
      date,
    };
  }
  return {
    y: date.getFullYear(),
    mo: date.getMonth(),
    d: date.getDate(),
    h: date.getHours(),
    mi: date.getMinutes(),
    s: date.getSeconds(),
    wd: date.getDay(),
    off: -date.getTimezoneOffset(),
    epoch,
    utc,
    date,
  };
}

function timeConverter(utc: boolean): ConverterDef {
  return {
    out: 'str',
    minArgs: 1,
    maxArgs: 2,
    create(args) {
      const fmt = args[0];
      const pieces: Array<string | Directive> = [];
      let lit = '';
      for (let i = 0; i < fmt.length; i++) {
        if (fmt[i] !== '%') {
          lit += fmt[i];
          continue;
        }
        const d = DIRECTIVES[fmt[i + 1] ?? ''];
        if (!d) return `unsupported time format directive '%${fmt[i + 1] ?? ''}' in '${fmt}'`;
        if (lit) pieces.push(lit);
        lit = '';
        pieces.push(d);
        i++;
      }
      if (lit) pieces.push(lit);
      if (args[1] !== undefined && !/^-?[0-9]+$/.test(args[1])) return `offset '${args[1]}' is not an integer`;
      const off = Number(args[1] ?? 0);
      return (v) => {
        const t = toInt(v);
        if (t === undefined) return undefined;
        const p = parts(t + off, utc);
        let out = '';
        for (const x of pieces) out += typeof x === 'string' ? x : x(p);
        return out;
      };
    },
  };
}

export const TIME_CONVERTERS: Array<[string, ConverterDef]> = [
  ['utime', timeConverter(true)],
  ['ltime', timeConverter(false)],
];
