#!/usr/bin/env bash
# Local demo cluster (see "Demo layout" in DESIGN.md), everything on 127.0.0.1:
#   shards   t3306 -> 13306, t3307 -> 13307   (MariaDB, datadirs under .demo/)
#   proxies  n1 -> 6033, n2 -> 6034, n3 -> 6035 (bin/shardline --config scripts/demo/nN.yaml)
#
#   scripts/demo.sh up      start whatever is not running yet; returns when all answer
#   scripts/demo.sh down    stop everything `up` started; no process is left
#   scripts/demo.sh clean   down, then remove .demo/
#
# A proxy node is started only when bin/shardline exists and its config file
# scripts/demo/<node>.yaml exists (override the directory with
# SHARDLINE_DEMO_CONFIG_DIR). Proxy logs and pid files are in .demo/.
set -euo pipefail
cd "$(dirname "$0")/.."

DEMO_DIR=.demo
CTL=bin/mariadbctl
SHARDS=(t3306:13306 t3307:13307)
NODES=(n1:6033 n2:6034 n3:6035)
CONFIG_DIR=${SHARDLINE_DEMO_CONFIG_DIR:-scripts/demo}
PROXY_START_TIMEOUT=${PROXY_START_TIMEOUT:-30}

say() { printf '%s\n' "$*"; }

ensure_ctl() {
	if [[ ! -x $CTL ]]; then
		say "building $CTL"
		mkdir -p bin
		go build -o "$CTL" ./internal/mariadbtest/cmd/mariadbctl
	fi
}

# proxy_pid NODE: pid of the running proxy started for NODE, or nothing.
proxy_pid() {
	local pidfile="$DEMO_DIR/$1.pid" pid
	[[ -f $pidfile ]] || return 0
	pid=$(<"$pidfile")
	[[ $pid =~ ^[0-9]+$ ]] || return 0
	# The pid must still be a shardline process (the pid file may be stale).
	if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'shardline --config'; then
		echo "$pid"
	fi
}

# port_open PORT: true when something accepts TCP connections on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_proxy() {
	local node=$1 port=$2 cfg="$CONFIG_DIR/$1.yaml" pid log="$DEMO_DIR/$1.log"
	pid=$(proxy_pid "$node")
	if [[ -n $pid ]]; then
		if ! port_open "$port"; then
			say "proxy $node (pid $pid) is running but not listening on $port; see $log (make demo-down, then retry)" >&2
			return 1
		fi
		say "proxy $node 127.0.0.1:$port pid=$pid running"
		return 0
	fi
	if [[ ! -f $cfg ]]; then
		say "proxy $node: no config $cfg, not started"
		return 0
	fi
	if port_open "$port"; then
		say "proxy $node: port $port is already taken by another process" >&2
		return 1
	fi
	# setsid: the proxy survives this script and the terminal's Ctrl-C.
	setsid bin/shardline --config "$cfg" </dev/null >>"$log" 2>&1 &
	pid=$!
	echo "$pid" >"$DEMO_DIR/$node.pid"
	local deadline=$((SECONDS + PROXY_START_TIMEOUT))
	until port_open "$port"; do
		if ! kill -0 "$pid" 2>/dev/null; then
			say "proxy $node exited during start; last lines of $log:" >&2
			tail -n 20 "$log" >&2
			rm -f "$DEMO_DIR/$node.pid"
			return 1
		fi
		if ((SECONDS >= deadline)); then
			say "proxy $node not listening on $port after ${PROXY_START_TIMEOUT}s; stopping it; last lines of $log:" >&2
			tail -n 20 "$log" >&2
			stop_proxy "$node" >/dev/null
			return 1
		fi
		sleep 0.2
	done
	say "proxy $node 127.0.0.1:$port pid=$pid started (log $log)"
}

stop_proxy() {
	local node=$1 pid
	pid=$(proxy_pid "$node")
	if [[ -z $pid ]]; then
		rm -f "$DEMO_DIR/$node.pid"
		return 0
	fi
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	if kill -0 "$pid" 2>/dev/null; then
		say "proxy $node (pid $pid) ignored SIGTERM for 20s; sending SIGKILL" >&2
		kill -KILL "$pid" 2>/dev/null || true
		sleep 0.2
	fi
	rm -f "$DEMO_DIR/$node.pid"
	say "proxy $node stopped (pid $pid)"
}

shard_names() { local s; for s in "${SHARDS[@]}"; do echo "${s%%:*}"; done; }

up() {
	ensure_ctl
	mkdir -p "$DEMO_DIR"
	"$CTL" up -dir "$DEMO_DIR" "${SHARDS[@]}"
	if [[ ! -x bin/shardline ]]; then
		say "bin/shardline does not exist (cmd/shardline not built); only the MariaDB shards are running."
		return 0
	fi
	local n
	for n in "${NODES[@]}"; do
		start_proxy "${n%%:*}" "${n##*:}"
	done
	say "demo up: mariadb --no-defaults -h127.0.0.1 -P6033 -uapp -papp   (shards: -P13306 / -P13307 -uroot)"
}

down() {
	local n
	for n in "${NODES[@]}"; do
		stop_proxy "${n%%:*}"
	done
	if [[ -d $DEMO_DIR ]]; then
		ensure_ctl
		# shellcheck disable=SC2046
		"$CTL" down -dir "$DEMO_DIR" $(shard_names)
	fi
}

case "${1:-}" in
up) up ;;
down) down ;;
clean)
	down
	rm -rf "$DEMO_DIR"
	say "removed $DEMO_DIR/"
	;;
*)
	say "usage: $0 up|down|clean" >&2
	exit 2
	;;
esac
