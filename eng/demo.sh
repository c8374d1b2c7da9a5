#!/usr/bin/env bash
# The main job: a three-node RabbitMQ cluster behind HAProxy, one producer and three consumers, the
# producer's node killed half-way and started again, then a summary (published, confirmed, handled,
# duplicates, lost, the pauses, HAProxy's view). Sets Docker up first if needed (see eng/setup-docker.sh).
# Exits 0 only if no confirmed message was lost. Ctrl+C stops it and removes the cluster.
#
#   bash eng/demo.sh                                # 10 000 orders at 400/s, about a minute
#   bash eng/demo.sh --messages 20000 --rate 1000   # arguments go to samples/Demo
set -euo pipefail
cd "$(dirname "$0")/.."

eval "$(bash eng/setup-docker.sh)"
export DOCKER_API_VERSION TESTCONTAINERS_RYUK_DISABLED TESTCONTAINERS_HOST_OVERRIDE RABBITHA_RABBITMQ_IMAGE RABBITHA_HAPROXY_IMAGE
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

dotnet build samples/Demo -c Release -nologo -v:q
exec dotnet samples/Demo/bin/Release/net10.0/Demo.dll "$@"
