#!/usr/bin/env bash
# Runs RabbitHa's tests: unit tests, then the integration and chaos tests against a real three-node
# cluster behind HAProxy (in Docker), then the package smoke test (eng/package-smoke.sh: the packed
# packages used from the local feed), all on the RabbitMQ 3 profile (mirrored classic queues). Then a second
# pass on the RabbitMQ 4 profile (quorum queues): the fixture's own tests (tests/RabbitHa.Testing.Tests), the client's
# integration tests (tests/RabbitHa.Client.IntegrationTests) and the quorum rows of the chaos suite that fail nodes
# (each node killed, the producer's node killed, over TLS too, a rolling restart, a whole-cluster restart, a partition)
# with its TLS tests. Sets Docker up first if needed (see eng/setup-docker.sh).
#
#   bash eng/test.sh                        # everything, both passes
#   bash eng/test.sh --filter Category=Unit  # extra arguments go to dotnet test of the first pass; no second pass
#   RABBITHA_CI_FULL_PROFILE4=1 bash eng/test.sh   # the second pass runs the whole chaos suite (classic rows skip)
#   RABBITHA_CHAOS_ALL=1 bash eng/test.sh          # the chaos rows marked slow too (skipped with the reason otherwise)
#
# The closing line counts every .trx of both passes. Chaos reports: artifacts/chaos-report.md (RabbitMQ 3) and
# artifacts/chaos-report-rabbitmq4.md.
set -euo pipefail
cd "$(dirname "$0")/.."

bash eng/setup-redis.sh # redis-server for tests/RabbitHa.Redis.Tests, whose fixture starts its own (the service is never started)
eval "$(bash eng/setup-docker.sh --rabbitmq 3)"
export DOCKER_API_VERSION TESTCONTAINERS_RYUK_DISABLED TESTCONTAINERS_HOST_OVERRIDE RABBITHA_RABBITMQ_IMAGE RABBITHA_HAPROXY_IMAGE RABBITHA_RABBITMQ_PROFILE
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

# The RabbitMQ 4 pass, in a subshell: the first pass's environment stays as it was. CI runs the quorum rows that
# fail nodes (276 s on two cores, the fixture's tests included; the whole chaos suite takes 246 s instead of 172 s);
# RABBITHA_CI_FULL_PROFILE4=1 runs every row.
if [ $# -eq 0 ]; then
  echo "RabbitMQ 4 profile (eng/setup-docker.sh --rabbitmq 4):"
  profile4_started=$(date +%s)
  (
    # eng/setup-docker.sh keeps image variables it finds set: the first pass's RabbitMQ 3 images would run here.
    unset RABBITHA_RABBITMQ_IMAGE RABBITHA_HAPROXY_IMAGE
    eval "$(bash eng/setup-docker.sh --rabbitmq 4)"
    export DOCKER_API_VERSION TESTCONTAINERS_RYUK_DISABLED TESTCONTAINERS_HOST_OVERRIDE RABBITHA_RABBITMQ_IMAGE RABBITHA_HAPROXY_IMAGE RABBITHA_RABBITMQ_PROFILE
    export RABBITHA_CHAOS_REPORT=artifacts/chaos-report-rabbitmq4.md
    chaos_rows=()
    if [ "${RABBITHA_CI_FULL_PROFILE4:-}" != 1 ]; then
      chaos_rows=(--filter "FullyQualifiedName~NodeFailureScenarios.KillNode_|FullyQualifiedName~NodeFailureScenarios.KillTheProducersNode_|FullyQualifiedName~NodeFailureScenarios.RollingRestart_|FullyQualifiedName~WholeClusterRestartScenario.|FullyQualifiedName~PartitionScenario.|FullyQualifiedName~TlsTests.")
    fi
    pass_status=0
    dotnet test tests/RabbitHa.Testing.Tests -c Release --no-build \
      --logger "console;verbosity=normal" --logger "trx;LogFileName=rabbitmq4-testing.trx" --results-directory "$results" || pass_status=$?
    # The client's Integration tests on RabbitMQ 4; its Chaos ones too with RABBITHA_CI_FULL_PROFILE4=1 (they cost minutes,
    # and the chaos suite's rows below fail the same nodes).
    integration_filter=(--filter "Category=Integration")
    if [ "${RABBITHA_CI_FULL_PROFILE4:-}" = 1 ]; then
      integration_filter=()
    fi
    dotnet test tests/RabbitHa.Client.IntegrationTests -c Release --no-build "${integration_filter[@]}" \
      --logger "console;verbosity=normal" --logger "trx;LogFileName=rabbitmq4-integration.trx" --results-directory "$results" || pass_status=$?
    dotnet test tests/RabbitHa.Chaos -c Release --no-build "${chaos_rows[@]}" \
      --logger "console;verbosity=normal" --logger "trx;LogFileName=rabbitmq4-chaos.trx" --results-directory "$results" || pass_status=$?
    exit "$pass_status"
  ) || status=$?
  echo "RabbitMQ 4 pass took $(($(date +%s) - profile4_started)) s."
else
  echo "RabbitMQ 4 pass skipped: extra arguments were given to dotnet test ($*)."
fi

# One closing line over every test assembly (dotnet test prints one summary per assembly).
passed=0 failed=0 skipped=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx")
  value() { printf '%s' "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  passed=$((passed + $(value passed))) failed=$((failed + $(value failed)))
  # A skipped xUnit test is a result of outcome NotExecuted, but the counter notExecuted stays 0: count what did not run.
  skipped=$((skipped + $(value total) - $(value executed)))
done
# CI shows only the end of the output: say here, where it is read, why each test failed, then name them all.
bash eng/print-failures.sh "$results"/*.trx || true
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  name=$(basename "$trx")
  grep -o '<UnitTestResult [^>]*outcome="Failed"[^>]*>' "$trx" | sed -n "s|.* testName=\"\([^\"]*\)\".*|failed in $name: \1|p" || true
done
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
