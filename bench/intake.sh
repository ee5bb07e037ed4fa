#!/usr/bin/env bash
# Intake under load (issue 16 §3): wrk drives POST /api/v1/reports, loopback only, bounded in time, against
#   sqlite   one published Whistle node on SQLite
#   cluster  two published Whistle nodes on one PostgreSQL database and one Redis, behind HAProxy (round-robin)
# with the rate limiter and intake budgets on (limits raised), clustering of reports into sightings on, and one
# dispatcher console per node connected to the live queue (SignalR) for the whole run. Prints accepted reports/s,
# p50/p90/p99 latency, non-2xx and socket errors, how many pushes the consoles received, the machine's load, and
# checks that every accepted report is in the database afterwards.
#
#   bench/intake.sh [sqlite|cluster|both]          (default: both)
#
# Settings (environment):
#   SECONDS_RUN=20 WARMUP=5 CONNECTIONS=64 THREADS=2     the measured run, the warm-up before it, wrk's shape
#   WHISTLE_BENCH_PUBLISHED=<dir>                        a `dotnet publish -c Release` of src/Whistle (default: published here)
#   WHISTLE_BENCH_PG="Host=127.0.0.1;Port=5432;Username=postgres;Database=postgres"   a server the bench may create a database on
#   Whistle__Redis__ConnectionString=<host:port>        the cluster's Redis (default: a private redis-server on a free port)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
mode="${1:-both}"
SECONDS_RUN="${SECONDS_RUN:-20}"
WARMUP="${WARMUP:-5}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
PG="${WHISTLE_BENCH_PG:-${WHISTLE_TEST_PG:-Host=127.0.0.1;Port=5432;Username=postgres;Database=postgres}}"
ADMIN=bench-admin@staff.test
PASSWORD=Bench-passphrase-123
for tool in wrk haproxy node curl; do command -v "$tool" >/dev/null || { echo "intake.sh needs $tool (apt-get install wrk haproxy nodejs curl)"; exit 1; }; done

work="$(mktemp -d /tmp/whistle-intake-XXXXXX)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ -n "${pgdb:-}" ]]; then psql "$(pg_url)" -qc "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
# The Npgsql connection string as a libpq one (for psql), optionally on another database.
pg_url() {
  local db="${1:-}"
  python3 - "$PG" "$db" <<'PY'
import sys
kv = dict(p.split("=", 1) for p in sys.argv[1].split(";") if "=" in p)
kv = {k.strip().lower(): v for k, v in kv.items()}
db = sys.argv[2] or kv.get("database", "postgres")
parts = [f"host={kv.get('host','127.0.0.1')}", f"port={kv.get('port','5432')}", f"user={kv.get('username', kv.get('user id','postgres'))}", f"dbname={db}"]
if kv.get("password"): parts.append(f"password={kv['password']}")
print(" ".join(parts))
PY
}

published="${WHISTLE_BENCH_PUBLISHED:-${WHISTLE_TEST_PUBLISHED:-}}"
if [[ -z "$published" ]]; then
  published="$work/published"
  echo "publishing src/Whistle (Release) to $published ..."
  dotnet publish "$repo/src/Whistle" -c Release -o "$published" >"$work/publish.log" 2>&1 || { tail -30 "$work/publish.log"; exit 1; }
fi

# start_node <name> <port> <datadir> [extra env...]: a published Whistle on 127.0.0.1:<port>, waits for /healthz.
start_node() {
  local name="$1" port="$2" data="$3"; shift 3
  mkdir -p "$data"
  env Whistle__DataDir="$data" \
      Whistle__PublicBaseUrl="http://127.0.0.1:$port" \
      Whistle__Bootstrap__AdminEmail="$ADMIN" Whistle__Bootstrap__AdminPassword="$PASSWORD" \
      Whistle__RateLimits__ReportsPerMinute=100000000 \
      Whistle__Intake__NetworkPerMinute=100000000 Whistle__Intake__AreaPerMinute=100000000 \
      Logging__LogLevel__Default=Warning ASPNETCORE_ENVIRONMENT=Production \
      "$@" dotnet "$published/Whistle.dll" --urls "http://127.0.0.1:$port" >"$work/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 600); do
    if curl -fs -o /dev/null "http://127.0.0.1:$port/healthz"; then return 0; fi
    sleep 0.2
  done
  echo "$name did not become healthy:"; tail -30 "$work/$name.log"; exit 1
}

# start_console <name> <base-url> <key-file>: a dispatcher console on the live queue (the key file holds the admin's TOTP key).
start_console() {
  local name="$1" base="$2" key="$3"
  node "$here/intake/console.mjs" "$base" "$ADMIN" "$PASSWORD" "$repo/src/Whistle/node_modules" "$key" >"$work/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 700); do grep -q "CONSOLE connected" "$work/$name.log" && return 0; sleep 0.1; done
  echo "console $name did not connect:"; cat "$work/$name.log"; exit 1
}

# run <label> <url> <count-command>: warm-up, measured run, figures.
run() {
  local label="$1" url="$2" count="$3"; shift 3
  local load_before; load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" --latency -s "$here/intake/reports.lua" "$url" >"$work/warmup.txt" 2>&1
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${SECONDS_RUN}s" --latency -s "$here/intake/reports.lua" "$url" >"$work/run.txt" 2>&1
  local load_after; load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
  local f w; f="$(grep FIGURES "$work/run.txt")"; w="$(grep FIGURES "$work/warmup.txt")"
  get() { sed -E "s/.*$1=([0-9.]+).*/\1/" <<<"$2"; }
  local req non2xx sock sec accepted warm_ok stored
  req=$(get requests "$f"); non2xx=$(get non2xx "$f"); sock=$(get socket_errors "$f"); sec=$(get seconds "$f")
  accepted=$((req - non2xx))
  warm_ok=$(( $(get requests "$w") - $(get non2xx "$w") ))
  sleep 1
  stored="$(eval "$count")"
  for c in "$@"; do kill -TERM "$c" 2>/dev/null || true; wait "$c" 2>/dev/null || true; done
  local pushes; pushes="$(grep -h "CONSOLE pushes" "$work"/console-*.log 2>/dev/null | sed 's/CONSOLE pushes //' | paste -sd ';' - || true)"
  printf 'RESULT intake %-8s %8.0f accepted reports/s  p50 %6.1f ms  p90 %6.1f ms  p99 %6.1f ms  max %7.1f ms  non-2xx %s  socket errors %s  (%s connections, %s s after %s s warm-up)\n' \
    "$label" "$(python3 -c "print($accepted/$sec)")" "$(get p50_ms "$f")" "$(get p90_ms "$f")" "$(get p99_ms "$f")" "$(get max_ms "$f")" \
    "$non2xx" "$sock" "$CONNECTIONS" "$SECONDS_RUN" "$WARMUP"
  echo "        consoles' live pushes: ${pushes:-none}; load average before ${load_before}, after ${load_after} ($(nproc) cores)"
  if [[ "$stored" -ge $((accepted + warm_ok)) ]]; then
    echo "        durable: $stored reports in the database >= $((accepted + warm_ok)) accepted (warm-up + run)"
  else
    echo "        LOST: $stored reports in the database < $((accepted + warm_ok)) accepted"; exit 1
  fi
  rm -f "$work"/console-*.log
}

if [[ "$mode" == sqlite || "$mode" == both ]]; then
  port=$(free_port)
  start_node sqlite "$port" "$work/sqlite"
  start_console console-sqlite "http://127.0.0.1:$port" "$work/sqlite.totp"
  console_pid=${pids[-1]}
  run sqlite "http://127.0.0.1:$port" "sqlite3 $work/sqlite/whistle.db 'SELECT count(*) FROM Reports'" "$console_pid"
  kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true
  pids=()
fi

if [[ "$mode" == cluster || "$mode" == both ]]; then
  command -v psql >/dev/null || { echo "intake.sh cluster needs psql (apt-get install postgresql-client)"; exit 1; }
  redis="${Whistle__Redis__ConnectionString:-}"
  if [[ -z "$redis" ]]; then
    command -v redis-server >/dev/null || { echo "intake.sh cluster needs redis-server (apt-get install redis-server)"; exit 1; }
    rport=$(free_port)
    redis-server --bind 127.0.0.1 --port "$rport" --save '' --appendonly no >"$work/redis.log" 2>&1 &
    pids+=($!)
    redis="127.0.0.1:$rport"
    for _ in $(seq 1 50); do redis-cli -p "$rport" ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  pgdb="whistle_intake_$$"
  psql "$(pg_url)" -qc "CREATE DATABASE $pgdb" >/dev/null
  cs="$(python3 - "$PG" "$pgdb" <<'PY'
import sys
kv = [p.split("=", 1) for p in sys.argv[1].split(";") if "=" in p]
kv = [(k, v) for k, v in kv if k.strip().lower() != "database"] + [("Database", sys.argv[2])]
print(";".join(f"{k}={v}" for k, v in kv))
PY
)"
  a=$(free_port); b=$(free_port); front=$(free_port)
  node_env=(Whistle__Database__Provider=postgres "Whistle__Database__ConnectionString=$cs" "Whistle__Redis__ConnectionString=$redis"
            Whistle__Redis__Prefix="intake$$" Whistle__TrustedProxies=127.0.0.1)
  # One after the other: the first migrates the empty database. Both share the data directory (the key ring), as
  # two containers share a volume.
  start_node node-a "$a" "$work/cluster" "${node_env[@]}"
  start_node node-b "$b" "$work/cluster" "${node_env[@]}"
  cat >"$work/haproxy.cfg" <<EOF
global
  maxconn 4096
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  option http-keep-alive
frontend whistle
  bind 127.0.0.1:$front
  option forwardfor
  default_backend nodes
backend nodes
  balance roundrobin
  server a 127.0.0.1:$a
  server b 127.0.0.1:$b
EOF
  haproxy -f "$work/haproxy.cfg" -db >"$work/haproxy.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 50); do curl -fs -o /dev/null "http://127.0.0.1:$front/healthz" && break; sleep 0.1; done
  start_console console-a "http://127.0.0.1:$a" "$work/cluster.totp"; ca=${pids[-1]}
  start_console console-b "http://127.0.0.1:$b" "$work/cluster.totp"; cb=${pids[-1]}
  run "2 nodes" "http://127.0.0.1:$front" "psql $(printf '%q' "$(pg_url "$pgdb")") -tAc 'SELECT count(*) FROM \"Reports\"'" "$ca" "$cb"
fi
