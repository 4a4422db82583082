#!/bin/sh
# A real 3-node Docker Swarm on one Linux host, for the swarm driver's tests and by hand:
# three dockerd instances, each in a network namespace of its own on one bridge, the host on
# the bridge too (so a berth daemon on the host reaches every node's address). The namespaces
# have no default route: nothing in them can reach outside.
#
#   scripts/swarm-lab.sh up DIR NAME OCTET   # bridge NAME0 at 10.79.OCTET.1, nodes .10 .11 .12
#   scripts/swarm-lab.sh down DIR            # stops the nodes and removes what `up` made
#
# NAME is at most 8 characters (interface names are 15 at most). Root only. `up` writes
# DIR/lab.env (the nodes' sockets and addresses), which `down` reads. Each dockerd trusts
# registries on the lab's subnet as insecure (berth's registry listens on the host's address),
# and keeps its own default bridge and iptables: host-mode published ports need them.
set -eu

lab_up() {
  DIR=$1 NAME=$2 OCTET=$3
  NET=10.79.$OCTET
  mkdir -p "$DIR"
  BRIDGE=${NAME}0
  cat >"$DIR/lab.env" <<EOF
BRIDGE=$BRIDGE
NAME=$NAME
NET=$NET
EOF
  cat >"$DIR/node.sh" <<'EOF'
#!/bin/sh
# Inside `ip netns exec NS unshare --uts`: `ip netns exec` mounts a fresh sysfs, which hides the
# host's cgroup hierarchies, and dockerd needs them ("Devices cgroup isn't mounted").
set -e
NODE_DIR=$1 NODE_NAME=$2 SUBNET=$3
hostname "$NODE_NAME"
mount -t tmpfs cgroup /sys/fs/cgroup
for h in cpu cpuacct cpuset memory devices freezer blkio pids; do
  mkdir -p /sys/fs/cgroup/$h; mount -t cgroup -o $h cgroup /sys/fs/cgroup/$h
done
mkdir -p /sys/fs/cgroup/systemd; mount -t cgroup -o none,name=systemd cgroup /sys/fs/cgroup/systemd
exec dockerd --data-root "$NODE_DIR/data" --exec-root "$NODE_DIR/exec" --pidfile "$NODE_DIR/pid" \
  -H "unix://$NODE_DIR/docker.sock" --insecure-registry "$SUBNET" >"$NODE_DIR/log" 2>&1 </dev/null
EOF
  chmod +x "$DIR/node.sh"

  ip link add "$BRIDGE" type bridge
  ip addr add "$NET.1/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  # An Engine on the host sets FORWARD's policy to DROP, and br_netfilter sends bridged
  # frames through iptables: without this the nodes cannot reach each other.
  iptables -I FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT
  for i in 0 1 2; do
    ns=${NAME}n$i
    ip netns add "$ns"
    ip link add "${NAME}v$i" type veth peer name "${NAME}p$i"
    ip link set "${NAME}p$i" netns "$ns"
    ip link set "${NAME}v$i" master "$BRIDGE" up
    ip -n "$ns" addr add "$NET.1$i/24" dev "${NAME}p$i"
    ip -n "$ns" link set "${NAME}p$i" up
    ip -n "$ns" link set lo up
    mkdir -p "$DIR/n$i"
    setsid ip netns exec "$ns" unshare --uts "$DIR/node.sh" "$DIR/n$i" "${NAME}-$i" "$NET.0/24" \
      </dev/null >/dev/null 2>&1 &
    echo "NODE$i=unix://$DIR/n$i/docker.sock" >>"$DIR/lab.env"
  done
  for i in 0 1 2; do wait_engine "$DIR/n$i"; done

  m="docker -H unix://$DIR/n0/docker.sock"
  # A 2 s heartbeat (Swarm's default is 5 s): a lost node is marked down, and its tasks placed
  # elsewhere, about 3 heartbeats after it went silent.
  $m swarm init --advertise-addr "$NET.10" --listen-addr "$NET.10:2377" --dispatcher-heartbeat 2s >/dev/null
  token=$($m swarm join-token -q worker)
  for i in 1 2; do
    docker -H "unix://$DIR/n$i/docker.sock" swarm join --token "$token" \
      --advertise-addr "$NET.1$i" --listen-addr "$NET.1$i:2377" "$NET.10:2377" >/dev/null
  done
  deadline=$(($(date +%s) + 120))
  until [ "$($m node ls --format '{{.Status}}' | grep -c Ready)" = 3 ]; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "swarm-lab: the nodes did not all become Ready" >&2; $m node ls >&2; exit 1; }
    sleep 0.5
  done
}

wait_engine() {
  deadline=$(($(date +%s) + 90))
  until docker -H "unix://$1/docker.sock" info >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "swarm-lab: the dockerd of $1 did not answer; the end of its log:" >&2
      tail -n 30 "$1/log" >&2 || true
      exit 1
    fi
    sleep 0.3
  done
}

lab_down() {
  DIR=$1
  [ -f "$DIR/lab.env" ] || return 0
  . "$DIR/lab.env"
  for i in 0 1 2; do
    pid=$(cat "$DIR/n$i/pid" 2>/dev/null || true)
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true
  done
  for i in 0 1 2; do
    pid=$(cat "$DIR/n$i/pid" 2>/dev/null || true)
    [ -n "$pid" ] || continue
    n=0
    while kill -0 "$pid" 2>/dev/null && [ $n -lt 150 ]; do sleep 0.2; n=$((n + 1)); done
    kill -KILL "$pid" 2>/dev/null || true
  done
  # A container of a killed node runs on in a network namespace of its own, re-parented to init:
  # found by its cgroup, named after the container's id, which the node's data-root lists.
  ls "$DIR"/n*/data/containers/ 2>/dev/null | grep -E '^[0-9a-f]{64}$' >"$DIR/container-ids" || true
  if [ -s "$DIR/container-ids" ]; then
    for proc in /proc/[0-9]*; do
      # A process may exit between the glob and the read: no cgroup, no id.
      id=$(sed -n 's#^[0-9]*:pids:/docker/\([0-9a-f]*\)$#\1#p' "$proc/cgroup" 2>/dev/null || true)
      [ -n "$id" ] && grep -qxF "$id" "$DIR/container-ids" && kill -KILL "${proc#/proc/}" 2>/dev/null || true
    done
  fi
  # Whatever still runs in a node's namespace (a containerd shim) goes with it.
  for i in 0 1 2; do
    for pid in $(ip netns pids "${NAME}n$i" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    ip netns del "${NAME}n$i" 2>/dev/null || true
    ip link del "${NAME}v$i" 2>/dev/null || true
  done
  ip link del "$BRIDGE" 2>/dev/null || true
  while iptables -D FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null; do :; done
  # Layers a killed dockerd left mounted would keep their files busy.
  grep -o " $DIR/[^ ]*" /proc/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  rm -rf "$DIR"
}

case ${1:-} in
  up) shift; lab_up "$@" ;;
  down) shift; lab_down "$@" ;;
  *) echo "usage: $0 up DIR NAME OCTET | down DIR" >&2; exit 2 ;;
esac
