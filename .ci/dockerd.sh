# A Docker Engine of berth's own for the tests: sourced by .ci/run, usable by hand:
#
#   source .ci/dockerd.sh && dockerd_start /tmp/somewhere && npm test; dockerd_stop $?
#
# dockerd_start DIR installs Debian's docker.io (and docker-registry, iproute2, chromium) when missing, starts a dockerd whose
# data-root, exec-root, pidfile, socket and log all live under DIR, waits until `docker info`
# answers and exports DOCKER_HOST. dockerd_stop [STATUS] stops it (and the containerd it
# started), and on a non-zero STATUS prints the tail of its log and keeps the log in DIR.
# Nothing here pulls from a registry: the tests make their images locally.
#
# BERTH_DOCKERD_ARGS adds flags, e.g. "--bridge none --iptables=false" beside another Engine
# that owns docker0 and the DOCKER iptables chains (a second daemon on them would reset them).

DOCKERD_START_TIMEOUT_S=${DOCKERD_START_TIMEOUT_S:-60}
DOCKERD_STOP_TIMEOUT_S=${DOCKERD_STOP_TIMEOUT_S:-30}

dockerd_install() {
  # docker-registry and iproute2: the swarm driver's tests run a registry and a 3-node swarm
  # in network namespaces (scripts/swarm-lab.sh).
  local packages=
  { command -v dockerd && command -v docker; } >/dev/null || packages=" docker.io"
  command -v docker-registry >/dev/null || packages="$packages docker-registry"
  command -v ip >/dev/null || packages="$packages iproute2"
  # Not the Engine's, but installed in the same apt-get: the dashboard's browser tests drive it.
  [ -x /usr/bin/chromium ] || packages="$packages chromium"
  [ -n "$packages" ] || return 0
  echo "== installing$packages"
  # No init script may start the system's own dockerd on docker0 beside ours (nor a registry on :5000).
  local policy=/usr/sbin/policy-rc.d made_policy=
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && made_policy=1
  fi
  local status=0
  # shellcheck disable=SC2086 # a list of packages
  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $packages; } || status=$?
  [ -n "$made_policy" ] && rm -f "$policy"
  return "$status"
}

dockerd_start() {
  DOCKERD_DIR=$1
  dockerd_install || return 1
  mkdir -p "$DOCKERD_DIR"
  DOCKERD_LOG=$DOCKERD_DIR/dockerd.log
  local started_ms=$(($(date +%s%N) / 1000000))
  # shellcheck disable=SC2086 # BERTH_DOCKERD_ARGS is a list of flags
  dockerd \
    --data-root "$DOCKERD_DIR/data" \
    --exec-root "$DOCKERD_DIR/exec" \
    --pidfile "$DOCKERD_DIR/dockerd.pid" \
    -H "unix://$DOCKERD_DIR/docker.sock" \
    ${BERTH_DOCKERD_ARGS:-} \
    >"$DOCKERD_LOG" 2>&1 </dev/null &
  DOCKERD_PID=$!
  export DOCKER_HOST="unix://$DOCKERD_DIR/docker.sock"
  local deadline=$((SECONDS + DOCKERD_START_TIMEOUT_S))
  until docker info >/dev/null 2>&1; do
    if ! kill -0 "$DOCKERD_PID" 2>/dev/null; then
      echo "dockerd exited while starting; the end of $DOCKERD_LOG:" >&2
      tail -n 40 "$DOCKERD_LOG" >&2
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "dockerd did not answer within ${DOCKERD_START_TIMEOUT_S} s; the end of $DOCKERD_LOG:" >&2
      tail -n 40 "$DOCKERD_LOG" >&2
      return 1
    fi
    sleep 0.2
  done
  echo "== dockerd $(docker version --format '{{.Server.Version}}') ready on $DOCKER_HOST in $(($(date +%s%N) / 1000000 - started_ms)) ms"
}

# Waits up to $2 seconds for pid $1 to exit.
dockerd_wait_exit() {
  local deadline=$((SECONDS + $2))
  while kill -0 "$1" 2>/dev/null; do
    [ "$SECONDS" -ge "$deadline" ] && return 1
    sleep 0.2
  done
}

dockerd_stop() {
  local status=${1:-0}
  [ -n "${DOCKERD_PID:-}" ] || return 0
  local containerd_pid= stopped_cleanly=1
  containerd_pid=$(cat "$DOCKERD_DIR/exec/containerd/containerd.pid" 2>/dev/null || true)
  # SIGTERM: dockerd stops its containers, then the containerd it started.
  kill -TERM "$DOCKERD_PID" 2>/dev/null || true
  if ! dockerd_wait_exit "$DOCKERD_PID" "$DOCKERD_STOP_TIMEOUT_S"; then
    echo "dockerd did not stop within ${DOCKERD_STOP_TIMEOUT_S} s; killing it" >&2
    kill -KILL "$DOCKERD_PID" 2>/dev/null || true
    stopped_cleanly=
  fi
  if [ -n "$containerd_pid" ] && ! dockerd_wait_exit "$containerd_pid" 10; then
    kill -KILL "$containerd_pid" 2>/dev/null || true
  fi
  wait "$DOCKERD_PID" 2>/dev/null || true
  DOCKERD_PID=
  if [ "$status" -ne 0 ]; then
    echo "== the end of the test Engine's log (kept in $DOCKERD_LOG):" >&2
    tail -n 60 "$DOCKERD_LOG" >&2 || true
  fi
  # A dockerd that stopped by itself has unmounted its layers: what is left is plain files.
  # One that had to be killed may leave mounts, so its directory stays for a look.
  [ -n "$stopped_cleanly" ] || return 0
  if [ "$status" -ne 0 ]; then
    rm -rf "$DOCKERD_DIR/data" "$DOCKERD_DIR/exec"
  else
    rm -rf "$DOCKERD_DIR"
  fi
}
