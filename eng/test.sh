#!/usr/bin/env bash
# Runs RabbitHa's tests: unit tests, then the integration and chaos tests against a real three-node
# cluster behind HAProxy (in Docker), then the package smoke test (eng/package-smoke.sh: the packed
# packages used from the local feed). Sets Docker up first if needed (see eng/setup-docker.sh).
#
#   bash eng/test.sh                        # everything
#   bash eng/test.sh --filter Category=Unit  # extra arguments go to dotnet test
set -euo pipefail
cd "$(dirname "$0")/.."

eval "$(bash eng/setup-docker.sh)"
export DOCKER_API_VERSION TESTCONTAINERS_RYUK_DISABLED TESTCONTAINERS_HOST_OVERRIDE RABBITHA_RABBITMQ_IMAGE RABBITHA_HAPROXY_IMAGE
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# Testcontainers' resource reaper cannot run here: remove what an interrupted earlier run left behind.
# Only clusters older than an hour: a younger one may belong to a run going on beside this one (another
# checkout, the demo, a benchmark) on the same machine. A network still in use is left (rm fails).
sweep_after=${RABBITHA_SWEEP_AFTER_MINUTES:-60}
cutoff=$(($(date +%s) - sweep_after * 60))
for container in $(docker ps -aq --filter label=rabbitha.cluster); do
  created=$(date -d "$(docker inspect -f '{{.Created}}' "$container")" +%s 2>/dev/null || date +%s)
  if [ "$created" -lt "$cutoff" ]; then
    docker rm -f "$container" >/dev/null || true
  fi
done
for network in $(docker network ls -q --filter label=rabbitha.cluster); do
  created=$(docker network inspect -f '{{.Created.Unix}}' "$network" 2>/dev/null || date +%s)
  if [ "$created" -lt "$cutoff" ]; then
    docker network rm "$network" >/dev/null 2>&1 || true
  fi
done

results=artifacts/test-results
rm -rf "$results"
mkdir -p "$results"
dotnet build RabbitHa.sln -c Release -warnaserror
status=0
# -m:1: one test assembly at a time. Each starts its own clusters; two at once on a small machine slow the
# brokers down enough to disturb the failover timings the chaos tests measure.
dotnet test RabbitHa.sln -c Release --no-build -m:1 \
  --logger "console;verbosity=normal" --logger "trx" --results-directory "$results" "$@" || status=$?

# The packages as a user gets them: packed, restored from artifacts/packages, used against the fixture's cluster.
echo "Package smoke test (eng/package-smoke.sh):"
bash eng/package-smoke.sh --no-build "$results" || status=$?

# One closing line over every test assembly (dotnet test prints one summary per assembly).
passed=0 failed=0 skipped=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx")
  value() { printf '%s' "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  passed=$((passed + $(value passed))) failed=$((failed + $(value failed)))
  skipped=$((skipped + $(value notExecuted)))
done
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
