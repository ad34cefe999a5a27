/**
 * Load-time validation of health-check settings the parser cannot judge alone: `http-check expect`
 * patterns and regexes, `agent-check` without a port, `observe` without `check`.
 */
import type { ConfigModel, Diagnostic } from '@switchyard/config';
import { CheckCode } from '../model/codes.ts';
import { compileHttpCheck, HealthConfigError } from './http-check.ts';
import { compileTcpCheck } from './tcp-check.ts';

/** Problems that would stop or weaken health checks of `config`, with FILE:LINE. */
export function validateHealthChecks(config: ConfigModel): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const p of config.proxies) {
    if (p.kind === 'frontend') continue;
    const chk = p.options.httpchk;
    const tcp = p.options.tcpCheck;
    if (chk || tcp) {
      try {
        if (chk) compileHttpCheck(chk);
        if (tcp) compileTcpCheck(tcp);
      } catch (err) {
        if (!(err instanceof HealthConfigError)) throw err;
        out.push({ severity: 'error', code: err.code, message: `backend '${p.name}': ${err.message}`, loc: err.loc });
      }
    }
    for (const s of p.servers) {
      if (s.agentCheck && s.agent?.port === undefined) {
        out.push({
          severity: 'error',
          code: CheckCode.AGENT_NO_PORT,
          message: `server '${p.name}/${s.name}': 'agent-check' needs 'agent-port N' (the agent listens on its own port)`,
          loc: s.loc,
        });
      }
      const tlsCheck = s.checkSsl ?? s.ssl;
      const pp =
        s.checkSendProxy || (s.sendProxy !== undefined && s.checkPort === undefined && s.checkAddr === undefined);
      if (s.check && pp && tlsCheck && !p.options.tcpCheck) {
        out.push({
          severity: 'error',
          code: CheckCode.PROXY_TLS,
          message: `server '${p.name}/${s.name}': health checks over TLS that start with the server's PROXY header are not supported; give the check its own 'port', or use 'option tcp-check' (its connect writes the header before TLS)`,
          loc: s.loc,
        });
      }
      if (s.observe && !s.check) {
        out.push({
          severity: 'warning',
          code: CheckCode.OBSERVE_NO_CHECK,
          message: `server '${p.name}/${s.name}': 'observe ${s.observe}' has no effect without 'check' (its on-error actions act on the health check)`,
          loc: s.loc,
        });
      }
    }
  }
  return out;
}
