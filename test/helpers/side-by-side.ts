/**
 * Switchyard and Debian's haproxy 2.6 on the same configuration, for differential tests: the
 * configuration function gets the side ('sy' or 'hx') and must give haproxy a stats socket at
 * DIR/hx.sock (how its readiness is seen).
 */
import { type ProxyProcess, startProxy, writeFile } from './proxy.ts';
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
