#!/usr/bin/env bash
# Runs every Whistle test: installs what is missing (PostgreSQL, Chromium, jq, ffmpeg, Redis, Caddy, HAProxy), starts a
# throw-away PostgreSQL cluster and Redis on free loopback ports, builds the solution once and publishes Whistle from that
# build (the topology tests run the published build as real processes behind Caddy), runs the suite against SQLite and
# PostgreSQL, stops the servers.
# Usage: ./test.sh [extra dotnet test arguments, e.g. --filter FullyQualifiedName~Flow]
set -euo pipefail
cd "$(dirname "$0")"
root=$(pwd)

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# --- prerequisites -----------------------------------------------------------------------------
command -v dotnet >/dev/null || { echo "test.sh: the .NET 10 SDK (dotnet) is required" >&2; exit 1; }
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$pgbin" ] || [ ! -x "$pgbin/initdb" ]; then
  echo "test.sh: installing PostgreSQL"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi
if [ ! -x /usr/bin/chromium ]; then
  echo "test.sh: installing Chromium (the browser tests drive Debian's build; nothing is downloaded by a test tool)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
if ! command -v jq >/dev/null; then
  echo "test.sh: installing jq (the evidence bundle's README checks its custody chain with it; a test runs those commands)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jq >/dev/null
fi
if [ ! -x /usr/bin/ffmpeg ] || [ ! -x /usr/bin/ffprobe ]; then
  echo "test.sh: installing ffmpeg (a test makes real MP4/MOV files with a location and checks the public copy loses it)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ffmpeg >/dev/null
fi
if ! command -v redis-server >/dev/null; then
  echo "test.sh: installing redis-server (several Whistle nodes share live updates, rate limits and paces through it)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
fi
if ! command -v caddy >/dev/null; then
  echo "test.sh: installing caddy (the topology tests put it in front of two Whistle nodes, as deploy/Caddyfile does)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq caddy >/dev/null
  # Debian's package starts a system Caddy on :80; the tests run their own on free loopback ports.
  as_root systemctl disable --now caddy >/dev/null 2>&1 || true
fi
if ! command -v haproxy >/dev/null; then
  echo "test.sh: installing haproxy (the other proxy a network may run; its sample configuration is checked)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null
  as_root systemctl disable --now haproxy >/dev/null 2>&1 || true
fi
if ! python3 -c 'import yaml' 2>/dev/null; then
  echo "test.sh: installing python3-yaml (a test reads deploy/compose.yaml as compose does)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-yaml >/dev/null
fi
command -v npm >/dev/null || { echo "test.sh: installing Node.js and npm (front-end packages come from npm at build time)";
  as_root apt-get update -qq; as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }

# --- a private PostgreSQL cluster ----------------------------------------------------------------
port=55432
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
pgdata=$(mktemp -d /tmp/whistle-pg.XXXXXX)
pglog="$pgdata.log"
run_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$pgdata" && touch "$pglog" && chown postgres "$pglog"
stop_pg() { run_pg "'$pgbin/pg_ctl' -D '$pgdata' -m immediate stop" >/dev/null 2>&1 || true; rm -rf "$pgdata" "$pglog"; }
redisdir=$(mktemp -d /tmp/whistle-redis.XXXXXX)
published=$(mktemp -d /tmp/whistle-published.XXXXXX)
stop_all() { stop_pg; [ -f "$redisdir/redis.pid" ] && kill "$(cat "$redisdir/redis.pid")" 2>/dev/null || true; rm -rf "$redisdir" "$published"; }
trap stop_all EXIT
run_pg "'$pgbin/initdb' -D '$pgdata' -U postgres -A trust -E UTF8 --locale=C.UTF-8" >/dev/null
# fsync off: a test cluster that dies with the run does not need durability, and the suite is faster.
run_pg "'$pgbin/pg_ctl' -D '$pgdata' -l '$pglog' -w -o \"-p $port -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=300\" start" >/dev/null
export WHISTLE_TEST_PG="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres;Pooling=true"
echo "test.sh: PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"

# --- a private Redis (no persistence; each test app uses its own key prefix) ------------------------
rport=56379
while (exec 3<>"/dev/tcp/127.0.0.1/$rport") 2>/dev/null; do rport=$((rport + 1)); done
redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
  --pidfile "$redisdir/redis.pid" --logfile "$redisdir/redis.log" --dir "$redisdir" >/dev/null
for _ in $(seq 50); do redis-cli -p "$rport" ping >/dev/null 2>&1 && break; sleep 0.1; done
export WHISTLE_TEST_REDIS="127.0.0.1:$rport"
echo "test.sh: Redis $(redis-server --version | grep -oE 'v=[0-9.]+' | cut -c3-) on 127.0.0.1:$rport"

# --- one build, and Whistle published from it --------------------------------------------------------
dotnet build "$root/Whistle.slnx" -c Release -nologo -clp:ErrorsOnly
# Every test that starts Whistle as a process (topology, crash, keys, backup/restore, first run, the CLI commands) starts
# this published build, not the tests' own copy. It is ReadyToRun: Whistle and its packages compiled ahead of time, so a
# start JITs far less (~3.5 s less CPU per start here, dozens of starts; decision 0044). --no-build reuses the build
# above: the RID-specific restore adds the crossgen compiler and the linux target to the same assets file, and
# AppendRuntimeIdentifierToOutputPath=false makes publish read the assembly that build made instead of building again.
rid=$(dotnet --info | awk '$1 == "RID:" { print $2; exit }')
r2r=(-r "$rid" -p:SelfContained=false -p:PublishReadyToRun=true -p:AppendRuntimeIdentifierToOutputPath=false)
dotnet restore "$root/src/Whistle" "${r2r[@]}" -nologo >/dev/null
dotnet publish "$root/src/Whistle" -c Release --no-build -nologo "${r2r[@]}" -o "$published" >/dev/null
export WHISTLE_TEST_PUBLISHED="$published"
echo "test.sh: Whistle published to $published"

# --- the suite ------------------------------------------------------------------------------------
out=$(mktemp)
set +e
dotnet test "$root/Whistle.slnx" -c Release --no-build --logger "console;verbosity=minimal" --logger "trx;LogFileName=whistle.trx" "$@" 2>&1 | tee "$out"
status=${PIPESTATUS[0]}
set -e
passed=$(grep -oE 'Passed: +[0-9]+' "$out" | awk '{s+=$2} END {print s+0}')
failed=$(grep -oE 'Failed: +[0-9]+' "$out" | awk '{s+=$2} END {print s+0}')
skipped=$(grep -oE 'Skipped: +[0-9]+' "$out" | awk '{s+=$2} END {print s+0}')
rm -f "$out"
trx="$root/tests/Whistle.Tests/TestResults/whistle.trx"
[ -f "$trx" ] && python3 "$root/tools/tests/slowest.py" "$trx" --top 12 || true
echo "tests: $passed passed, $failed failed, $skipped skipped"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then exit 1; fi
