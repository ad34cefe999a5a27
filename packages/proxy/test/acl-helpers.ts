/** Shared helpers for the ACL tests: build a transaction and compile one ACL or condition. */
import type { TLSSocket } from 'node:tls';
import type { AclModel, Diagnostic } from '@switchyard/config';
import { compileAcls, compileCondition, registerBuiltinFetches } from '../src/acl/index.ts';
import type { HttpTxn } from '../src/model/txn.ts';
import { makeTxn } from '../src/model/txn.ts';

// the fetch keywords the compiled expressions use (buildRuntime does this in the program)
registerBuiltinFetches();

export interface TxnInit {
  method?: string;
  url?: string;
  headers?: Array<[string, string]>;
  src?: string;
  srcPort?: number;
  dst?: string;
  dstPort?: number;
  ssl?: boolean;
  sni?: string;
  version?: string;
}

/** A transaction as the datapath would build it. */
export function txn(init: TxnInit = {}): HttpTxn {
  return makeTxn({
    method: init.method ?? 'GET',
    url: init.url ?? '/',
    httpVersion: init.version ?? '1.1',
    rawHeaders: (init.headers ?? []).flat(),
    srcIp: init.src ?? '192.0.2.10',
    srcPort: init.srcPort ?? 40000,
    dstIp: init.dst ?? '127.0.0.1',
    dstPort: init.dstPort ?? 8080,
    ssl: init.ssl ?? false,
    // the TLS socket's SNI, the one field the ssl_fc_sni cases read
    tls: init.sni === undefined ? undefined : ({ servername: init.sni } as TLSSocket),
    frontend: 'fe',
  });
}

export const LOC = { file: 'test.cfg', line: 7 };

/** Compiles `acl x CRITERION ARGS...` (one line) and returns a predicate plus diagnostics. */
export function acl(line: string): { test: (t: HttpTxn) => boolean; diags: Diagnostic[] } {
  const [criterion, ...args] = line.split(' ').filter((w) => w !== '');
  const diags: Diagnostic[] = [];
  const table = compileAcls([{ name: 'x', criterion, args, loc: LOC }], diags);
  const test = compileCondition({ polarity: 'if', terms: ['x'], loc: { file: 'test.cfg', line: 99 } }, table, diags);
  return { test, diags };
}

/** Compiles ACL lines `NAME CRITERION ARGS...` and a condition; returns predicate and diagnostics. */
export function cond(
  acls: string[],
  terms: string,
  polarity: 'if' | 'unless' = 'if',
): { test: (t: HttpTxn) => boolean; diags: Diagnostic[] } {
  const diags: Diagnostic[] = [];
  const models: AclModel[] = acls.map((l, i) => {
    const [name, criterion, ...args] = l.split(' ').filter((w) => w !== '');
    return { name, criterion, args, loc: { file: 'test.cfg', line: i + 1 } };
  });
  const table = compileAcls(models, diags);
  const test = compileCondition(
    { polarity, terms: terms.split(' ').filter((w) => w !== ''), loc: { file: 'test.cfg', line: 50 } },
    table,
    diags,
  );
  return { test, diags };
}
