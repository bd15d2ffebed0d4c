#!/usr/bin/env bash
# Clones the repo into a temp folder, runs `npm install && npm run dev` there with no Sesame
# environment, waits for the API's, the edge's and the console's /healthz (and the console's page), sends Ctrl-C (SIGINT to the process
# group, as a terminal does) and fails if any process of the clone is still alive afterwards.
set -Eeuo pipefail
SRC=${1:?usage: dev-smoke.sh <repo>}
WORK=$(mktemp -d /tmp/sesame-dev-smoke.XXXXXX)
LOG="$WORK/dev.log"
cleanup() { pkill -KILL -f "$WORK/clone" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

for port in 4000 8787 8079 54329 5173; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "port $port is already in use; cannot run the dev smoke test" >&2; exit 1; fi
done

git clone -q "$SRC" "$WORK/clone"
cd "$WORK/clone"
npm install --no-audit --no-fund >/dev/null

env -u DATABASE_URL -u REDIS_URL -u UPSTASH_REDIS_REST_URL -u UPSTASH_REDIS_REST_TOKEN -u SESAME_ROOT_KEY \
  setsid npm run dev >"$LOG" 2>&1 &
DEV_PID=$!

ok=0
for _ in $(seq 1 180); do
  if curl -fsS http://127.0.0.1:4000/healthz >/dev/null 2>&1 && curl -fsS http://127.0.0.1:8787/healthz >/dev/null 2>&1 \
    && curl -fsS http://127.0.0.1:5173/healthz >/dev/null 2>&1; then ok=1; break; fi
  if ! kill -0 "$DEV_PID" 2>/dev/null; then break; fi
  sleep 1
done
if [ "$ok" != 1 ]; then echo "npm run dev did not serve every /healthz within 180 s; log:" >&2; tail -80 "$LOG" >&2; exit 1; fi
echo "API  /healthz: $(curl -fsS http://127.0.0.1:4000/healthz)"
echo "edge /healthz: $(curl -fsS http://127.0.0.1:8787/healthz)"
echo "API  /readyz:  $(curl -sS http://127.0.0.1:4000/readyz)"
echo "console /healthz: $(curl -fsS http://127.0.0.1:5173/healthz)"
curl -fsS http://127.0.0.1:5173/users | grep -q '<div id="root">' || { echo "the console did not serve its page at 127.0.0.1:5173" >&2; exit 1; }
echo "console page: served"

# A clean start says nothing alarming: no turbo WARNING (a workspace cycle was one), no Node
# process warning, no npm warning, no warn-level log line.
if grep -naE 'WARNING|\(node:[0-9]+\) [A-Za-z]*Warning|^npm warn|"level":40' "$LOG" >&2; then
  echo "npm run dev printed the warnings above on a clean start" >&2; exit 1
fi
echo "dev log: no warnings"
# The request log: /healthz was just asked of the API and the edge (JSON here: stdout is a file).
for service in sesame-api sesame-edge; do
  grep -q "\"service\":\"$service\".*\"path\":\"/healthz\".*\"msg\":\"request\"" "$LOG" || { echo "no request log line from $service" >&2; tail -40 "$LOG" >&2; exit 1; }
done
echo "request log: lines from the API and the edge"

kill -INT -- "-$DEV_PID"
for _ in $(seq 1 30); do kill -0 "$DEV_PID" 2>/dev/null || break; sleep 1; done
sleep 2
left=$(pgrep -af "$WORK/clone" || true)
if kill -0 "$DEV_PID" 2>/dev/null || [ -n "$left" ]; then
  echo "processes left behind after Ctrl-C:" >&2; echo "$left" >&2; tail -40 "$LOG" >&2; exit 1
fi
for port in 4000 8787 8079 54329 5173; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "port $port still open after Ctrl-C" >&2; exit 1; fi
done
echo "dev stopped cleanly; no process left"
