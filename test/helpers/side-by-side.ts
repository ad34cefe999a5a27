/**
 * Switchyard and Debian's haproxy 2.6 on the same configuration, for differential tests: the
 * configuration function gets the side ('sy' or 'hx') and must give haproxy a stats socket at
 * DIR/hx.sock (how its readiness is seen).
 */
import { createSocket } from 'node:dgram';
import { type ProxyProcess, startProxy, startUpstream, type Upstream, writeFile } from './proxy.ts';
import { type HaproxyProcess, startHaproxyProcess, unixSocketAccepts } from './system.ts';

export interface SideBySide {
  sy: ProxyProcess;
  hx: HaproxyProcess;
  stop(): Promise<void>;
}

export async function startSideBySide(dir: string, config: (side: 'sy' | 'hx') => string): Promise<SideBySide> {
  const sy = await startProxy(['-f', writeFile(dir, 'sy.cfg', config('sy'))]);
  let hx: HaproxyProcess;
  try {
    hx = await startHaproxyProcess(writeFile(dir, 'hx.cfg', config('hx')), () => unixSocketAccepts(`${dir}/hx.sock`));
  } catch (e) {
    await sy.stop();
    throw e;
  }
  return {
    sy,
    hx,
    stop: async () => {
      await sy.stop();
      await hx.stop();
    },
  };
}

/** Both sides logging to one UDP syslog receiver, in front of one HTTP upstream (`startUpstream`). */
export interface LoggedSideBySide extends SideBySide {
  up: Upstream;
  /** Every syslog datagram received, in order (switchyard's are tagged `switchyard[`, haproxy's `haproxy[`). */
  messages: string[];
}

export async function startLoggedSideBySide(
  dir: string,
  config: (side: 'sy' | 'hx', syslogPort: number, upstreamPort: number) => string,
): Promise<LoggedSideBySide> {
  const up = await startUpstream('s1');
  const rx = createSocket('udp4');
  const messages: string[] = [];
  rx.on('message', (m) => messages.push(m.toString()));
  await new Promise<void>((r) => rx.bind(0, '127.0.0.1', () => r()));
  const close = async () => {
    rx.close();
    await up.close();
  };
  let pair: SideBySide;
  try {
    pair = await startSideBySide(dir, (side) => config(side, rx.address().port, up.port));
  } catch (e) {
    await close();
    throw e;
  }
  return {
    ...pair,
    up,
    messages,
    stop: async () => {
      await pair.stop();
      await close();
    },
  };
}
