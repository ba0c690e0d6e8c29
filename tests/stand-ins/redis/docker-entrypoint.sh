#!/bin/sh
# The official redis image's entrypoint, in short: redis-server runs as redis in /data (the
# volume), with protected mode off (the official build's default) so that it answers on
# every interface without a password.
set -eu
if [ "$1" = redis-server ]; then
    shift
    set -- redis-server --protected-mode no "$@"
    if [ "$(id -u)" = 0 ]; then
        chown -R redis:redis /data
        exec gosu redis "$@"
    fi
fi
exec "$@"
