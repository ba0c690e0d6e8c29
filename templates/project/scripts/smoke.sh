#!/usr/bin/env bash
# Smoke-test the service's image as CI builds it: run it on its embedded defaults, wait for
# its HEALTHCHECK to report healthy, create one item through the API, then `docker stop` it
# and require exit code 0 (a clean drain on SIGTERM).
#
#   docker build -t my-service . && scripts/smoke.sh my-service
#
# SMOKE_TIMEOUT (seconds, default 90) bounds the wait for healthy. The container's log is
# printed whenever a step fails.
set -euo pipefail

image=${1:?usage: scripts/smoke.sh IMAGE}
timeout=${SMOKE_TIMEOUT:-90}
container=smoke-$$-$RANDOM

fail() {
    echo "smoke: $*" >&2
    docker logs --tail 40 "$container" >&2 || true
    exit 1
}

docker run --detach --name "$container" --publish 127.0.0.1::8000 "$image" >/dev/null
trap 'docker rm --force "$container" >/dev/null 2>&1 || true' EXIT

# The container's id while it runs and passes the given filters (none: just runs).
listed() {
    docker ps --quiet --filter "name=^$container\$" "$@"
}

deadline=$((SECONDS + timeout))
until [ -n "$(listed --filter health=healthy)" ]; do
    [ -n "$(listed)" ] || fail "the container exited before turning healthy"
    [ "$SECONDS" -lt "$deadline" ] || fail "not healthy after ${timeout}s"
    sleep 1
done
echo "smoke: healthy after $((SECONDS + timeout - deadline))s"

address=$(docker port "$container" 8000/tcp | head -n 1)
response=$(curl --silent --show-error --write-out '\n%{http_code}' \
    --request POST "http://$address/api/items" \
    --header 'content-type: application/json' --data '{"name": "smoke", "price": 1.5}') \
    || fail "POST /api/items failed"
[ "${response##*$'\n'}" = 201 ] || fail "POST /api/items answered: $response"
echo "smoke: created an item"

docker stop "$container" >/dev/null
code=$(docker wait "$container")
[ "$code" = 0 ] || fail "exited with code $code after docker stop, not 0"
echo "smoke: stopped cleanly (exit 0)"
