#!/usr/bin/env bash
# Two-node demo in network namespaces (root): a bridge, node A and node B each running a web
# server, the Switchyard proxy and the Switchyard VRRP sidecar, and a client namespace.
#   deploy/two-node/up.sh          bring it up (logs in /run/switchyard-demo/*.log)
#   deploy/two-node/down.sh        tear it down
# Then:
#   ip netns exec sy-demo-client curl -s http://192.168.123.100:8080/     -> "served by node a"
#   kill the MASTER's proxy:  kill "$(cat /run/switchyard-demo/proxy-a.pid)"  -> VIP moves to b
#   or its sidecar with SIGTERM (priority 0: takeover in ~0.6 s) or SIGKILL (~3.6 s)
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(cd ../.. && pwd)
RUN=/run/switchyard-demo
NET=192.168.123
[ "$(id -u)" = 0 ] || { echo "up.sh: needs root (network namespaces, raw sockets)" >&2; exit 1; }
ip netns list | grep -q '^sy-demo-' && { echo "up.sh: already up; run down.sh first" >&2; exit 1; }
mkdir -p "$RUN"

ip netns add sy-demo-sw
ip -n sy-demo-sw link add br0 type bridge
ip -n sy-demo-sw link set br0 up
attach() { # NAME HOST
  local ns="sy-demo-$1"
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  ip -n sy-demo-sw link add "p-$1" type veth peer name eth0 netns "$ns"
  ip -n sy-demo-sw link set "p-$1" master br0
  ip -n sy-demo-sw link set "p-$1" up
  ip -n "$ns" addr add "$NET.$2/24" dev eth0
  ip -n "$ns" link set eth0 up
}
attach a 1
attach b 2
attach client 10

start() { # NS NAME CMD...
  local ns="$1" name="$2"
  shift 2
  ip netns exec "$ns" "$@" >"$RUN/$name.log" 2>&1 &
  echo $! >"$RUN/$name.pid"
}
for n in a b; do
  start "sy-demo-$n" "web-$n" node -e "require('node:http').createServer((q,s)=>s.end('served by node $n\n')).listen(8081,'127.0.0.1')"
  sed "s#/run/switchyard-demo/NODE.sock#$RUN/$n.sock#" haproxy.cfg >"$RUN/haproxy-$n.cfg"
  start "sy-demo-$n" "proxy-$n" node --initial-old-space-size=64 --max-semi-space-size=4 --no-parallel-scavenge "$ROOT/packages/cli/bin/switchyard.mjs" -f "$RUN/haproxy-$n.cfg"
  start "sy-demo-$n" "vrrp-$n" node "$ROOT/packages/cli/bin/switchyard.mjs" vrrp -f "$PWD/keepalived-node-$n.conf" -D
done

echo "waiting for a MASTER..."
for _ in $(seq 1 100); do
  for n in a b; do
    if ip -n "sy-demo-$n" -4 -o addr show dev eth0 | grep -q " $NET.100/"; then
      echo "node $n is MASTER and holds $NET.100"
      ip netns exec sy-demo-client node -e "fetch('http://$NET.100:8080/').then(r=>r.text()).then(t=>process.stdout.write('client -> VIP: '+t))" || true
      exit 0
    fi
  done
  sleep 0.1
done
echo "up.sh: no MASTER after 10 s; see $RUN/vrrp-*.log" >&2
exit 1
