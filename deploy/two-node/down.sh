#!/usr/bin/env bash
# Tears down deploy/two-node/up.sh: stops the processes it started (by pid) and deletes its namespaces.
set -uo pipefail
RUN=/run/switchyard-demo
for f in "$RUN"/*.pid; do
  [ -e "$f" ] || continue
  kill "$(cat "$f")" 2>/dev/null
  rm -f "$f"
done
sleep 1
for ns in sy-demo-a sy-demo-b sy-demo-client sy-demo-sw; do
  ip netns del "$ns" 2>/dev/null
done
echo "two-node demo stopped (logs kept in $RUN)"
