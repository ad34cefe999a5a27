/** The send-only raw VRRP socket on eth0 that the netns test tools (vrrp-*-bin.ts) write adverts with. */
import { VRRP_GROUP } from '../packages/vrrp/src/codec/index.ts';
import { RawVrrpSocket } from '../packages/vrrp/src/transport/raw-socket.ts';

/** A multicast VRRP socket on eth0 of this namespace that ignores whatever it receives. */
export function eth0Sender(): RawVrrpSocket {
  return new RawVrrpSocket({
    ifname: 'eth0',
    group: VRRP_GROUP,
    unicast: false,
    onPacket: () => {},
    onMalformed: () => {},
    onError: () => {},
  });
}
