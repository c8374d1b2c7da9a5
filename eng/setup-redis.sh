#!/usr/bin/env bash
# Makes sure a redis-server binary is on this machine for tests/RabbitHa.Redis.Tests, whose fixture starts its own
# redis-server (127.0.0.1, a free port, a generated password, nothing saved) as a child process. Installs Debian's
# redis-server package if it is missing, quietly, and never starts the system service: the package's own start is
# refused while it installs (a temporary policy-rc.d, unless one is there already), so nothing listens on 6379.
#
# Safe to run again: does nothing when redis-server is on PATH. Needs root to install.
#
#   bash eng/setup-redis.sh
set -euo pipefail

log() { printf '[setup-redis] %s\n' "$*" >&2; }

if command -v redis-server >/dev/null 2>&1; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  log "redis-server is not installed and this is not root: the Redis integration tests will be skipped"
  exit 0
fi

log "installing redis-server (Debian package; the service is not started)"
policy=/usr/sbin/policy-rc.d
created_policy=
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# Written by eng/setup-redis.sh for the length of one install: no service starts.\nexit 101\n' > "$policy"
  chmod 755 "$policy"
  created_policy=1
fi
cleanup() {
  if [ -n "$created_policy" ]; then
    rm -f "$policy"
  fi
}
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends redis-server >/dev/null
command -v redis-server >/dev/null 2>&1 || { log "redis-server is still not on PATH after the install"; exit 1; }
log "installed $(redis-server --version | head -n 1)"
