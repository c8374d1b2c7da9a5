#!/usr/bin/env bash
# Runs the docker/ deployment by hand (three mirrored RabbitMQ nodes behind HAProxy) with the images
# eng/setup-docker.sh builds locally. Every port is on 127.0.0.1.
#
#   bash eng/cluster.sh up           # start it and wait until HAProxy sees the three nodes UP
#   bash eng/cluster.sh status       # nodes as RabbitMQ (the first node that answers) and HAProxy see them
#   bash eng/cluster.sh credentials  # print the user names and passwords
#   bash eng/cluster.sh uri          # print the AMQP URI through HAProxy, with credentials
#   bash eng/cluster.sh down         # remove it
#
# Credentials: RABBITHA_USER / RABBITHA_PASSWORD (RabbitMQ) and RABBITHA_STATS_USER / RABBITHA_STATS_PASSWORD
# (HAProxy's stats page), as docker/docker-compose.yml describes them. Set in the environment, they win;
# otherwise they come from artifacts/cluster.env, which `up` creates (mode 600, git-ignored) with random
# passwords the first time. The file is kept across `down`, so the next `up` has the same credentials.
set -euo pipefail
cd "$(dirname "$0")/.."

credentials_file=artifacts/cluster.env
credential_names=(RABBITHA_USER RABBITHA_PASSWORD RABBITHA_STATS_USER RABBITHA_STATS_PASSWORD)

# 24 random bytes in base64url: 32 characters that need no escaping in a URI, JSON or haproxy.cfg.
random_secret() { head -c 24 /dev/urandom | base64 | tr '+/' '-_'; }

create_credentials_file() {
  mkdir -p "$(dirname "$credentials_file")"
  (
    umask 077
    {
      echo "# Credentials of the cluster eng/cluster.sh runs. Keep this file to yourself."
      echo "RABBITHA_USER=${RABBITHA_USER:-rabbitha}"
      echo "RABBITHA_PASSWORD=$(random_secret)"
      echo "RABBITHA_STATS_USER=${RABBITHA_STATS_USER:-stats}"
      echo "RABBITHA_STATS_PASSWORD=$(random_secret)"
    } > "$credentials_file"
  )
  chmod 600 "$credentials_file"
  echo "Generated credentials in $credentials_file (bash eng/cluster.sh credentials prints them)."
}

# Fills in each variable the environment leaves unset from the file, then the default user names.
load_credentials() {
  if [ -f "$credentials_file" ]; then
    local key value
    while IFS='=' read -r key value; do
      case "$key" in
        RABBITHA_USER | RABBITHA_PASSWORD | RABBITHA_STATS_USER | RABBITHA_STATS_PASSWORD)
          if [ -z "${!key:-}" ]; then export "$key=$value"; fi ;;
      esac
    done < "$credentials_file"
  fi
  export RABBITHA_USER=${RABBITHA_USER:-rabbitha} RABBITHA_STATS_USER=${RABBITHA_STATS_USER:-stats}
}

require_credentials() {
  local name
  for name in "${credential_names[@]}"; do
    case "${!name:-}" in
      "") echo "$name is not set and $credentials_file does not exist: run 'bash eng/cluster.sh up' first, or set it." >&2; exit 2 ;;
      *[!A-Za-z0-9._~-]*) echo "$name may contain letters, digits and - _ . ~ only." >&2; exit 2 ;;
    esac
  done
}

# curl reads the login from standard input, so passwords never show in the process list.
curl_as() { printf 'user = "%s:%s"\n' "$1" "$2" | curl -fsS --max-time 5 -K - "$3"; }

proxy_csv() { curl_as "$RABBITHA_STATS_USER" "$RABBITHA_STATS_PASSWORD" 'http://127.0.0.1:8100/rabbit;csv'; }

status() {
  echo "HAProxy backends (http://localhost:8100/rabbit, user $RABBITHA_STATS_USER):"
  proxy_csv | awk -F, '$1 == "rabbitmq" && $2 ~ /^rmq/ { printf "  %s %s\n", $2, $18 }' || echo "  HAProxy did not answer"
  # Any node will do: each reports the whole cluster, and the one on 15672 (rmq1) may be the one that is down.
  local node port nodes
  for node in 1 2 3; do
    port=$((15671 + node))
    if nodes=$(curl_as "$RABBITHA_USER" "$RABBITHA_PASSWORD" "http://127.0.0.1:$port/api/nodes?columns=name,running" 2>/dev/null); then
      echo "RabbitMQ nodes (management API of rmq$node, http://localhost:$port, user $RABBITHA_USER):"
      printf '%s\n' "$nodes" | tr '{' '\n' | sed -n 's/.*"name":"\([^"]*\)".*"running":\([a-z]*\).*/  \1 running=\2/p'
      return 0
    fi
  done
  echo "RabbitMQ nodes: no management API answered on 127.0.0.1:15672-15674." >&2
  return 1
}

command=${1:-up}
case "$command" in
  up | status | down)
    eval "$(bash eng/setup-docker.sh)"
# RabbitMQ 4 refuses the 3.x definitions (classic mirroring policies are gone): take the profile's file.
if [ "${RABBITHA_RABBITMQ_PROFILE:-3}" = "4" ]; then
  export RABBITHA_DEFINITIONS=${RABBITHA_DEFINITIONS:-definitions-4.json}
fi
    export RABBITMQ_IMAGE=${RABBITMQ_IMAGE:-$RABBITHA_RABBITMQ_IMAGE}
    export HAPROXY_IMAGE=${HAPROXY_IMAGE:-$RABBITHA_HAPROXY_IMAGE}
    ;;
esac
compose() { docker-compose -p rabbitha -f docker/docker-compose.yml "$@"; }

case "$command" in
  up)
    if [ -z "${RABBITHA_PASSWORD:-}" ] && [ ! -f "$credentials_file" ]; then create_credentials_file; fi
    load_credentials
    require_credentials
    compose up -d
    for _ in $(seq 1 90); do
      up=$(proxy_csv 2>/dev/null | awk -F, '$1 == "rabbitmq" && $2 ~ /^rmq/ && $18 == "UP"' | wc -l || true)
      [ "$up" = 3 ] && break
      sleep 1
    done
    status
    echo "AMQP through HAProxy: amqp://localhost:5672/ as $RABBITHA_USER; credentials in $credentials_file"
    echo "(bash eng/cluster.sh credentials prints them, bash eng/cluster.sh uri the AMQP URI with them)."
    ;;
  status)
    load_credentials
    require_credentials
    status
    ;;
  credentials)
    load_credentials
    require_credentials
    for name in "${credential_names[@]}"; do echo "$name=${!name}"; done
    ;;
  uri)
    load_credentials
    require_credentials
    echo "amqp://$RABBITHA_USER:$RABBITHA_PASSWORD@localhost:5672/"
    ;;
  down)
    load_credentials
    # compose checks the required variables on every command, even though `down` uses none of them:
    # a cluster whose credentials are lost must still be removable.
    export RABBITHA_PASSWORD=${RABBITHA_PASSWORD:-unused} RABBITHA_STATS_PASSWORD=${RABBITHA_STATS_PASSWORD:-unused}
    compose down -v
    ;;
  *) echo "usage: $0 [up|status|credentials|uri|down]" >&2; exit 2 ;;
esac
