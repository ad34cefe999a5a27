/**
 * Sends well-formed VRRPv2 adverts (no authentication) on eth0 of the namespace it runs in, from a
 * node that is not running VRRP: a "peer" of a chosen priority the tests can switch on and off.
 * Usage: node --import tsx test/vrrp-advert-bin.ts SRC VRID PRIORITY VIP [COUNT [INTERVAL_MS]]
 */
import { AUTH_NONE, encodePacket, parseIPv4, VRRP_GROUP } from '../packages/vrrp/src/codec/index.ts';
import { eth0Sender } from './vrrp-raw.ts';

const [srcText, vrid, priority, vipText, count = '1', gap = '200'] = process.argv.slice(2);
const src = parseIPv4(srcText)!;
const sock = eth0Sender();
const pkt = encodePacket(
  {
    version: 2,
    vrid: Number(vrid),
    priority: Number(priority),
    advertIntCs: 100,
    authType: AUTH_NONE,
    addrs: [parseIPv4(vipText)!],
  },
  src,
  VRRP_GROUP,
);
let sent = 0;
const t = setInterval(() => {
  sock.send(pkt, VRRP_GROUP);
  if (++sent >= Number(count)) {
    clearInterval(t);
    sock.close();
  }
}, Number(gap));
