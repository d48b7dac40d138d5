#!/usr/bin/env bash
# The README's first command (`npm start`): on a fresh machine, install and build, start the collector on SQLite,
# register this machine as a node (once), and run the agent against the real /proc. Ctrl-C stops both.
#   TRAFFIC_LISTEN   where the collector listens (default 127.0.0.1:8080)
#   TRAFFIC_DATA     where the database, the agent's config and its state live (default ./data)
set -euo pipefail
cd "$(dirname "$0")/.."
LISTEN=${TRAFFIC_LISTEN:-127.0.0.1:8080}
DATA=$(mkdir -p "${TRAFFIC_DATA:-data}" && cd "${TRAFFIC_DATA:-data}" && pwd)
DB="$DATA/collector.db"
AGENT_CFG="$DATA/agent.json"
URL="http://$LISTEN"

if [ ! -f node_modules/.package-lock.json ]; then npm ci --no-audit --no-fund; fi
npm run --silent build

node bin/traffic-collector.js serve --listen "$LISTEN" --db "$DB" &
COLLECTOR=$!
AGENT=
# Ctrl-C reaches the whole process group; a TERM to this script alone stops the agent first (its last sample and
# delivery), then the collector. Either way nothing counted is lost: what was not delivered stays in the agent's state.
cleanup() {
  trap - INT TERM EXIT
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
  NODE_JSON=$(node bin/traffic-collector.js node add --name "$(hostname)" --db "$DB")
  (umask 077 && NODE_JSON="$NODE_JSON" URL="$URL" STATE="$DATA/agent-state" node -e '
    const n = JSON.parse(process.env.NODE_JSON);
    const cfg = JSON.parse(require("fs").readFileSync("config.example.json", "utf8"));
    cfg.node = { id: n.id, token: n.token };
    cfg.collector.url = process.env.URL;
    cfg.stateDir = process.env.STATE;
    cfg.heartbeatIntervalSec = 10;
    require("fs").writeFileSync(process.argv[1], JSON.stringify(cfg, null, 2) + "\n");
  ' "$AGENT_CFG")
  echo "registered this machine as node $(node -e 'console.log(JSON.parse(process.argv[1]).id)' "$NODE_JSON"); agent config in $AGENT_CFG"
else
  # The same node on a later start; follow TRAFFIC_LISTEN if it changed.
  URL="$URL" node -e '
    const f = process.argv[1], cfg = JSON.parse(require("fs").readFileSync(f, "utf8"));
    if (cfg.collector.url !== process.env.URL) { cfg.collector.url = process.env.URL; require("fs").writeFileSync(f, JSON.stringify(cfg, null, 2) + "\n"); }
  ' "$AGENT_CFG"
fi

node bin/traffic-agent.js run -c "$AGENT_CFG" &
AGENT=$!
cat <<MSG

  collector  $URL   (dashboard at $URL/ , API under $URL/api/v1/)
  admin token: in $DATA/admin-token (cat it, then paste it into the dashboard)
  agent      config $AGENT_CFG, state in $DATA/agent-state, heartbeat every 10 s
  Ctrl-C stops both.

MSG
wait -n "$COLLECTOR" "$AGENT" || true
