#!/usr/bin/env bash
# The main job: a three-node RabbitMQ cluster behind HAProxy, one producer and three consumers, the
# producer's node killed half-way and started again, then a summary (published, confirmed, handled,
# duplicates, lost, the pauses, HAProxy's view). Sets Docker up first if needed (see eng/setup-docker.sh).
# Exits 0 only if no confirmed message was lost. Ctrl+C stops it and removes the cluster.
#
#   bash eng/demo.sh                                # 10 000 orders at 400/s, about a minute, on RabbitMQ 3
#   bash eng/demo.sh --rabbitmq 4                   # the same on RabbitMQ 4 (quorum queues; images from Debian trixie)
#   bash eng/demo.sh --messages 20000 --rate 1000   # other arguments go to samples/Demo
set -euo pipefail
cd "$(dirname "$0")/.."

profile=${RABBITHA_RABBITMQ_PROFILE:-3}
demo_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rabbitmq) profile=${2:?--rabbitmq needs 3 or 4}; shift 2 ;;
    *) demo_args+=("$1"); shift ;;
  esac
done

eval "$(bash eng/setup-docker.sh --rabbitmq "$profile")"
export DOCKER_API_VERSION TESTCONTAINERS_RYUK_DISABLED TESTCONTAINERS_HOST_OVERRIDE RABBITHA_RABBITMQ_IMAGE RABBITHA_HAPROXY_IMAGE RABBITHA_RABBITMQ_PROFILE
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

dotnet build samples/Demo -c Release -nologo -v:q
exec dotnet samples/Demo/bin/Release/net10.0/Demo.dll "${demo_args[@]}"
