/**
 * Sends crafted VRRP packets on eth0 of the namespace it runs in (netns tests): a burst of
 * malformed and mismatching adverts, to show the sidecar drops each with a reason and survives.
 * Usage: node --import tsx test/vrrp-inject-bin.ts SRC VIP COUNT
 */
import { AUTH_PASS, authData, encodePacket, parseIPv4, VRRP_GROUP } from '../packages/vrrp/src/codec/index.ts';
import { eth0Sender } from './vrrp-raw.ts';

const src = parseIPv4(process.argv[2])!;
const vip = parseIPv4(process.argv[3])!;
const count = Number(process.argv[4] ?? 200);
const sock = eth0Sender();
const good = () =>
  encodePacket(
    {
      version: 2,
      vrid: 51,
      priority: 254,
      advertIntCs: 100,
      authType: AUTH_PASS,
      authData: authData('secret'),
      addrs: [vip],
    },
    src,
    VRRP_GROUP,
  );
const variants: ((b: Buffer) => Buffer)[] = [
  (b) => {
    b[8] = 64; // TTL
    return b;
  },
  (b) => {
    b[b.length - 1] ^= 0xff; // password
    return b;
  },
  (b) => {
    b[26] ^= 0x55; // checksum
    return b;
  },
  (b) => {
    b[25] = 5; // advert interval
    return b;
  },
  (b) => b.subarray(0, b.length - 4), // truncated auth data
  (b) => {
    for (let i = 20; i < b.length; i++) b[i] = Math.floor(Math.random() * 256);
    b[21] = 51;
    return b;
  },
];
for (let i = 0; i < count; i++) {
  const err = sock.send(variants[i % variants.length](good()), VRRP_GROUP);
  if (err) {
    process.stderr.write(`send failed: ${err.message}\n`);
    process.exitCode = 1;
    break;
  }
}
sock.close();
