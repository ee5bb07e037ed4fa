#!/usr/bin/env bash
# Runs every Whistle test: installs what is missing (PostgreSQL, Chromium, jq, ffmpeg), starts a throw-away PostgreSQL
# cluster on a free loopback port, runs the suite against SQLite and PostgreSQL, stops the cluster.
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
trap stop_pg EXIT
run_pg "'$pgbin/initdb' -D '$pgdata' -U postgres -A trust -E UTF8 --locale=C.UTF-8" >/dev/null
# fsync off: a test cluster that dies with the run does not need durability, and the suite is faster.
run_pg "'$pgbin/pg_ctl' -D '$pgdata' -l '$pglog' -w -o \"-p $port -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=300\" start" >/dev/null
export WHISTLE_TEST_PG="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres;Pooling=true"
echo "test.sh: PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"

# --- the suite ------------------------------------------------------------------------------------
out=$(mktemp)
set +e
dotnet test "$root/Whistle.slnx" -c Release --logger "console;verbosity=minimal" --logger "trx;LogFileName=whistle.trx" "$@" 2>&1 | tee "$out"
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
