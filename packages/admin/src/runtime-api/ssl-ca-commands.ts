/**
 * The runtime API words for CA and CRL files (haproxy 2.6's "new|set|commit|abort|del ssl
 * ca-file|crl-file" and "show ssl ca-file|crl-file"); what they do is in ssl-ca-files.ts.
 */
import type { CaKind } from '@switchyard/proxy';
import { inWorker } from './maps.ts';
import { type CaFileOp, showFile } from './ssl-ca-files.ts';
import { applySslCertOp, certStoreOf, type SslCertOp } from './ssl-certs.ts';
import type { Command } from './types.ts';

const ARGS_NEEDED: Record<CaFileOp['cmd'], Record<CaKind, string>> = {
  new: { ca: "'new ssl ca-file' expects a filename\n", crl: "'new ssl crl-file' expects a filename\n" },
  set: {
    ca: "'set ssl ca-file expects a filename and CAs as a payload\n",
    crl: "'set ssl crl-file expects a filename and CRLs as a payload\n",
  },
  // haproxy 2.6 names ca-file in both
  commit: { ca: "'commit ssl ca-file expects a filename\n", crl: "'commit ssl ca-file expects a filename\n" },
  abort: { ca: "'abort ssl ca-file' expects a filename\n", crl: "'abort ssl crl-file' expects a filename\n" },
  del: { ca: "'del ssl ca-file' expects a CA file name\n", crl: "'del ssl crl-file' expects a CRL file name\n" },
};

const DESC: Record<CaFileOp['cmd'], [string, string]> = {
  new: ['<cafile>', 'create a new CA file to be used in a crt-list'],
  set: ['<cafile> <payload>', 'replace a CA file'],
  commit: ['<cafile>', 'commit a CA file'],
  abort: ['<cafile>', 'abort a transaction for a CA file'],
  del: ['<cafile>', 'delete an unused CA file'],
};

function caCommand(cmd: CaFileOp['cmd'], kind: CaKind): Command {
  const file = kind === 'ca' ? 'ca-file' : 'crl-file';
  const [args, desc] = DESC[cmd];
  return {
    words: [cmd, 'ssl', file],
    // haproxy 2.6 has `new ssl crl-file` but leaves it out of its help
    usage:
      cmd === 'new' && kind === 'crl'
        ? ''
        : `${cmd} ssl ${file} ${kind === 'ca' ? args : args.replace('cafile', 'crlfile')}`,
    desc: kind === 'ca' ? desc : desc.replace('CA file', 'CRL file'),
    level: 'admin',
    run(argv, ctx, _sess, payload) {
      const name = argv[0];
      if (!name || (cmd === 'set' && payload === undefined)) return ARGS_NEEDED[cmd][kind];
      const share = ctx.control.shareSslCert;
      if (inWorker() && !share) return `'${cmd} ssl ${file}' is not supported by Switchyard under --workers here\n`;
      const op: SslCertOp = { cmd, kind, name, payload };
      const reply = applySslCertOp(ctx.runtime(), op);
      share?.(op);
      return reply;
    },
  };
}

function showCommand(kind: CaKind): Command {
  const file = kind === 'ca' ? 'ca-file' : 'crl-file';
  return {
    words: ['show', 'ssl', file],
    // haproxy 2.6's help lines, brackets as it prints them
    usage: kind === 'ca' ? 'show ssl ca-file [<cafile>[:<index>]]' : 'show ssl crl-file [<crlfile[:<index>>]]',
    desc:
      kind === 'ca'
        ? 'display the SSL CA files used in memory, or the details of a <cafile>, or a single certificate of index <index> of a CA file <cafile>'
        : 'display the SSL CRL files used in memory, or the details of a <crlfile>, or a single CRL of index <index> of CRL file <crlfile>',
    level: 'operator',
    run: (argv, ctx) => showFile(certStoreOf(ctx.runtime()).cas, kind, argv[0]),
  };
}

const CMDS: CaFileOp['cmd'][] = ['new', 'set', 'commit', 'abort', 'del'];
export const SSL_CA_COMMANDS: Command[] = [
  ...CMDS.map((c) => caCommand(c, 'ca')),
  showCommand('ca'),
  ...CMDS.map((c) => caCommand(c, 'crl')),
  showCommand('crl'),
];
