#!/usr/bin/env bash
# Runs the docker/ deployment by hand (three mirrored RabbitMQ nodes behind HAProxy) with the images
# eng/setup-docker.sh builds locally.
#
#   bash eng/cluster.sh up       # start it and wait until HAProxy sees the three nodes UP
#   bash eng/cluster.sh status   # nodes as RabbitMQ and HAProxy see them
#   bash eng/cluster.sh down     # remove it
set -euo pipefail
cd "$(dirname "$0")/.."

eval "$(bash eng/setup-docker.sh)"
export RABBITMQ_IMAGE=${RABBITMQ_IMAGE:-$RABBITHA_RABBITMQ_IMAGE}
export HAPROXY_IMAGE=${HAPROXY_IMAGE:-$RABBITHA_HAPROXY_IMAGE}
compose() { docker-compose -p rabbitha -f docker/docker-compose.yml "$@"; }

status() {
  echo "HAProxy backends (http://localhost:8100/rabbit, admin/admin):"
  curl -fsS -u admin:admin 'http://127.0.0.1:8100/rabbit;csv' | awk -F, '$1 == "rabbitmq" && $2 ~ /^rmq/ { printf "  %s %s\n", $2, $18 }'
  echo "RabbitMQ nodes (management API of rmq1, http://localhost:15672, guest/guest):"
  { curl -fsS -u guest:guest 'http://127.0.0.1:15672/api/nodes?columns=name,running'; echo; } \
    | tr '{' '\n' | sed -n 's/.*"name":"\([^"]*\)".*"running":\([a-z]*\).*/  \1 running=\2/p'
}

case "${1:-up}" in
  up)
    compose up -d
    for _ in $(seq 1 90); do
      up=$(curl -fsS -u admin:admin 'http://127.0.0.1:8100/rabbit;csv' 2>/dev/null | awk -F, '$1 == "rabbitmq" && $2 ~ /^rmq/ && $18 == "UP"' | wc -l || true)
      [ "$up" = 3 ] && break
      sleep 1
    done
    status
    echo "AMQP through HAProxy: amqp://guest:guest@localhost:5672/"
    ;;
  status) status ;;
  down) compose down -v ;;
  *) echo "usage: $0 [up|status|down]" >&2; exit 2 ;;
esac
