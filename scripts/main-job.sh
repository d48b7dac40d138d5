#!/usr/bin/env bash
# The README's first command (`npm start`): on a fresh machine, install and build, start the collector on SQLite,
# register this machine as a node (once), and run the agent against the real /proc. Ctrl-C stops the agent first
# (its last sample is delivered), then the collector.
#   TRAFFIC_LISTEN         where the collector listens (default 127.0.0.1:8080)
#   TRAFFIC_DATA           where the database, the admin token, the agent's config and its state live (default ./data)
#   TRAFFIC_HEARTBEAT_SEC  the agent's heartbeat interval, which the collector is told too (default 10)
#   TRAFFIC_LOG_LEVEL      both programs' log level (default info; debug logs every request)
set -euo pipefail
cd "$(dirname "$0")/.."
LISTEN=${TRAFFIC_LISTEN:-127.0.0.1:8080}
DATA=$(mkdir -p "${TRAFFIC_DATA:-data}" && cd "${TRAFFIC_DATA:-data}" && pwd)
INTERVAL=${TRAFFIC_HEARTBEAT_SEC:-10}
LOG_LEVEL=${TRAFFIC_LOG_LEVEL:-info}
DB="$DATA/collector.db"
AGENT_CFG="$DATA/agent.json"
URL="http://$LISTEN"

if [ ! -f node_modules/.package-lock.json ]; then
  # npm ci prints nothing until it is done, and the first time it compiles SQLite's addon: say so, or it looks stuck.
  echo "installing the locked dependencies (npm ci; the first time it compiles SQLite's addon: a few minutes)"
  npm ci --no-audit --no-fund
fi
npm run --silent build

# Job control puts each program in its own process group, so the terminal's Ctrl-C reaches this script only; the
# script then stops them in order. Were the collector to see Ctrl-C too, it would exit before the agent's last
# delivery, and every stop would log DELIVERY_FAILED (nothing lost: the records stay queued in the agent's state).
set -m
node bin/traffic-collector.js serve --listen "$LISTEN" --db "$DB" --heartbeat-interval-sec "$INTERVAL" \
  --log-level "$LOG_LEVEL" &
COLLECTOR=$!
AGENT=
cleanup() {
  trap '' INT TERM # a second Ctrl-C (npm forwards one too) must not cut the orderly stop short
  trap - EXIT
  if [ -n "$AGENT" ]; then kill -TERM "$AGENT" 2>/dev/null || true; wait "$AGENT" 2>/dev/null || true; fi
  kill -TERM "$COLLECTOR" 2>/dev/null || true
  wait "$COLLECTOR" 2>/dev/null || true
}
trap cleanup INT TERM EXIT

for _ in $(seq 1 100); do
  if node -e "fetch('$URL/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"; then break; fi
  kill -0 "$COLLECTOR" 2>/dev/null || { echo "the collector did not start (see above)" >&2; exit 1; }
  sleep 0.2
done

if [ ! -f "$AGENT_CFG" ]; then
  # The agent's config was removed but the database kept: this machine is registered again under the same name.
  NODE_JSON=$(node bin/traffic-collector.js node add --name "$(hostname)" --db "$DB" --allow-duplicate-name)
  (umask 077 && NODE_JSON="$NODE_JSON" URL="$URL" STATE="$DATA/agent-state" node -e '
    const n = JSON.parse(process.env.NODE_JSON);
    const cfg = JSON.parse(require("fs").readFileSync("config.example.json", "utf8"));
    cfg.node = { id: n.id, token: n.token };
    cfg.collector.url = process.env.URL;
    cfg.stateDir = process.env.STATE;
    require("fs").writeFileSync(process.argv[1], JSON.stringify(cfg, null, 2) + "\n");
  ' "$AGENT_CFG")
  echo "registered this machine as node $(node -e 'console.log(JSON.parse(process.argv[1]).id)' "$NODE_JSON"); agent config in $AGENT_CFG"
fi
# On every start: follow TRAFFIC_LISTEN, TRAFFIC_HEARTBEAT_SEC and TRAFFIC_LOG_LEVEL if they changed.
URL="$URL" INTERVAL="$INTERVAL" LOG_LEVEL="$LOG_LEVEL" node -e '
  const fs = require("fs"), f = process.argv[1], cfg = JSON.parse(fs.readFileSync(f, "utf8"));
  const want = { url: process.env.URL, interval: Number(process.env.INTERVAL), level: process.env.LOG_LEVEL };
  if (cfg.collector.url !== want.url || cfg.heartbeatIntervalSec !== want.interval || cfg.log?.level !== want.level) {
    cfg.collector.url = want.url;
    cfg.heartbeatIntervalSec = want.interval;
    cfg.log = { ...cfg.log, level: want.level };
    fs.writeFileSync(f, JSON.stringify(cfg, null, 2) + "\n");
  }
' "$AGENT_CFG"

node bin/traffic-agent.js run -c "$AGENT_CFG" &
AGENT=$!
cat <<MSG

  collector  $URL   (dashboard at $URL/ , API under $URL/api/v1/)
  admin token: in $DATA/admin-token (cat it, then paste it into the dashboard)
  agent      config $AGENT_CFG, state in $DATA/agent-state, heartbeat every $INTERVAL s
  Ctrl-C stops the agent (after its last delivery), then the collector.

MSG
wait -n "$COLLECTOR" "$AGENT" || true
