#!/bin/sh
# The official rabbitmq image, in short: RABBITMQ_DEFAULT_USER and RABBITMQ_DEFAULT_PASS make
# the first user (guest/guest without them), and the server runs as rabbitmq in the
# foreground with its data in /var/lib/rabbitmq (the volume).
set -eu
if [ "$1" = rabbitmq-server ] && [ "$(id -u)" = 0 ]; then
    cat > /etc/rabbitmq/conf.d/20-default-user.conf <<CONF
default_user = ${RABBITMQ_DEFAULT_USER:-guest}
default_pass = ${RABBITMQ_DEFAULT_PASS:-guest}
CONF
    chown -R rabbitmq:rabbitmq /var/lib/rabbitmq /var/log/rabbitmq
    exec gosu rabbitmq "$@"
fi
exec "$@"
