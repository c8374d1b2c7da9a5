#!/usr/bin/env bash
# Prepares this machine to run the RabbitHa cluster: a Docker engine, and the RabbitMQ and HAProxy
# images built locally from Debian's packages (no container registry is needed).
#
# Safe to run again: each step is skipped when its result is already there.
# Needs root (apt-get, dockerd). Prints the environment variables the tests expect at the end.
#
#   bash eng/setup-docker.sh                   # install, start, build what is missing (RabbitMQ 3)
#   bash eng/setup-docker.sh --rabbitmq 4      # the RabbitMQ 4 profile: images from Debian 13 "trixie"
#   REBUILD=1 bash eng/setup-docker.sh         # rebuild the images even if present
#
# Profiles (also RABBITHA_RABBITMQ_PROFILE=3|4):
#   3  Debian 12 "bookworm": RabbitMQ 3.10, HAProxy 2.6 (mirrored classic queues, the seed's design)
#   4  Debian 13 "trixie":   RabbitMQ 4.0, HAProxy 3.0 (quorum queues; classic mirroring is gone in 4.0)
set -euo pipefail

profile=${RABBITHA_RABBITMQ_PROFILE:-3}
while [ $# -gt 0 ]; do
  case "$1" in
    --rabbitmq) profile=${2:?--rabbitmq needs 3 or 4}; shift 2 ;;
    *) printf '[setup-docker] unknown argument: %s\n' "$1" >&2; exit 2 ;;
  esac
done

repo_root=$(cd "$(dirname "$0")/.." && pwd)
case "$profile" in
  3) suite=bookworm rabbitmq_tag=3-debian haproxy_tag=2-debian ;;
  4) suite=trixie rabbitmq_tag=4-debian haproxy_tag=3-debian ;;
  *) printf '[setup-docker] unknown RabbitMQ profile %s (3 or 4)\n' "$profile" >&2; exit 2 ;;
esac
base_image=${RABBITHA_BASE_IMAGE:-rabbitha/debian-base:$suite}
rabbitmq_image=${RABBITHA_RABBITMQ_IMAGE:-rabbitha/rabbitmq:$rabbitmq_tag}
haproxy_image=${RABBITHA_HAPROXY_IMAGE:-rabbitha/haproxy:$haproxy_tag}

log() { printf '[setup-docker] %s\n' "$*" >&2; }

need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    log "must run as root (it installs packages and starts dockerd)"
    exit 1
  fi
}

install_packages() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  if [ ${#missing[@]} -eq 0 ]; then
    return
  fi
  need_root
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

start_dockerd() {
  if docker info >/dev/null 2>&1; then
    return
  fi
  need_root
  log "starting dockerd"
  # setsid: the engine must outlive the shell that started it (CI steps, test runs).
  setsid dockerd >/var/log/rabbitha-dockerd.log 2>&1 < /dev/null &
  for _ in $(seq 1 60); do
    if docker info >/dev/null 2>&1; then
      return
    fi
    sleep 1
  done
  log "dockerd did not answer within 60 s; its log:"
  tail -n 50 /var/log/rabbitha-dockerd.log >&2 || true
  exit 1
}

# The Debian mirror this machine already uses, read at run time so that no host name is written in
# the repository. Looks at deb822 .sources files first, then the one-line format.
debian_mirror() {
  local uri=""
  if compgen -G "/etc/apt/sources.list.d/*.sources" >/dev/null; then
    uri=$(awk '
      /^URIs:/ { uris = $2 }
      /^Suites:/ { for (i = 2; i <= NF; i++) if ($i !~ /-/) { print uris; exit } }
    ' /etc/apt/sources.list.d/*.sources)
  fi
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(awk '$1 == "deb" && $3 !~ /-/ { print $2; exit }' /etc/apt/sources.list)
  fi
  if [ -z "$uri" ]; then
    log "cannot find a Debian mirror in this machine's apt sources"
    exit 1
  fi
  printf '%s\n' "$uri"
}

image_present() { docker image inspect "$1" >/dev/null 2>&1; }

build_base_image() {
  if image_present "$base_image" && [ -z "${REBUILD:-}" ]; then
    return
  fi
  need_root
  local mirror rootfs
  mirror=$(debian_mirror)
  rootfs=$(mktemp -d /tmp/rabbitha-rootfs.XXXXXX)
  log "debootstrap $suite (minbase) into $rootfs"
  debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >/tmp/rabbitha-debootstrap.log 2>&1 || {
    tail -n 30 /tmp/rabbitha-debootstrap.log >&2
    exit 1
  }
  # The image installs its packages from the same mirror(s) as this machine, for its own suite: the
  # machine's sources name the machine's release, which may not be the image's.
  rm -f "$rootfs/etc/apt/sources.list"
  mkdir -p "$rootfs/etc/apt/sources.list.d"
  local host_suite
  host_suite=$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-bookworm}")
  if compgen -G "/etc/apt/sources.list.d/*.sources" >/dev/null; then
    for file in /etc/apt/sources.list.d/*.sources; do
      sed "s/\b$host_suite\b/$suite/g" "$file" > "$rootfs/etc/apt/sources.list.d/$(basename "$file")"
    done
  else
    sed "s/\b$host_suite\b/$suite/g" /etc/apt/sources.list > "$rootfs/etc/apt/sources.list"
  fi
  rm -rf "$rootfs/var/cache/apt/archives/"*.deb "$rootfs/var/lib/apt/lists/"*
  log "importing $base_image"
  tar -C "$rootfs" -c . | docker import - "$base_image" >/dev/null
  rm -rf "$rootfs"
}

build_image() {
  local name=$1 context=$2
  if image_present "$name" && [ -z "${REBUILD:-}" ]; then
    return
  fi
  log "building $name"
  docker build -q --build-arg "BASE_IMAGE=$base_image" -t "$name" "$context" >/dev/null
}

install_packages
start_dockerd
build_base_image
build_image "$rabbitmq_image" "$repo_root/docker/images/rabbitmq"
build_image "$haproxy_image" "$repo_root/docker/images/haproxy"

log "ready: $(docker version --format 'engine {{.Server.Version}}, API {{.Server.APIVersion}}')"
cat <<EOF
export DOCKER_API_VERSION=1.41
export TESTCONTAINERS_RYUK_DISABLED=true
export TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1
export RABBITHA_RABBITMQ_IMAGE=$rabbitmq_image
export RABBITHA_HAPROXY_IMAGE=$haproxy_image
export RABBITHA_RABBITMQ_PROFILE=$profile
EOF
