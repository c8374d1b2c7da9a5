#!/bin/sh
# Starts the broker as the rabbitmq user, in the foreground, the way the official image does.
# Debian's /usr/sbin/rabbitmq-server wrapper would send the output to a log file; the script under
# /usr/lib/rabbitmq/bin keeps it on stdout (RABBITMQ_LOGS=-) and turns SIGTERM into a clean stop.
set -e
if [ "$1" = "rabbitmq-server" ]; then
  shift
  if [ "$(id -u)" = "0" ]; then
    mkdir -p /var/lib/rabbitmq /var/log/rabbitmq
    chown rabbitmq:rabbitmq /var/lib/rabbitmq /var/log/rabbitmq
    exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups /usr/lib/rabbitmq/bin/rabbitmq-server "$@"
  fi
  exec /usr/lib/rabbitmq/bin/rabbitmq-server "$@"
fi
exec "$@"
