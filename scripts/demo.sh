#!/usr/bin/env bash
# Local demo cluster (see "Quick start" in README.md), everything
# on 127.0.0.1:
#   shards   t3306 -> 13306, t3307 -> 13307   (MariaDB, datadirs under .demo/)
#   proxies  n1 -> 6033, n2 -> 6034, n3 -> 6035 (bin/shardline --config scripts/demo/nN.yaml)
#            admin HTTP 9090..9092, Raft 7001..7003
#
#   scripts/demo.sh up      start whatever is not running yet (a killed node or
#                           shard comes back, a running one is left alone),
#                           create schema oms and table orders (idempotent),
#                           insert the sample rows once, print how to connect
#   scripts/demo.sh down    stop everything `up` started; no process is left
#   scripts/demo.sh clean   down, then remove .demo/
#
# A proxy node is started only when bin/shardline exists and its config file
# scripts/demo/<node>.yaml exists (override the directory with
# SHARDLINE_DEMO_CONFIG_DIR). Proxy logs and pid files are in .demo/.
# Needs mariadbd + mariadb-install-db (MariaDB server) and the mariadb (or
# mysql) client; as root on Debian/Ubuntu `up` installs them with apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."

DEMO_DIR=.demo
CTL=bin/mariadbctl
SHARDS=(t3306:13306 t3307:13307)
NODES=(n1:6033 n2:6034 n3:6035)
# Admin HTTP and Raft ports of each node (scripts/demo/nN.yaml).
declare -A NODE_PORTS=([n1]="9090 7001" [n2]="9091 7002" [n3]="9092 7003")
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

# launch_proxy NODE: start the node's process unless it is running. Nodes
# are launched together and waited for afterwards: a node restarting with
# Raft state opens its MySQL port only once a majority of the group is up.
launch_proxy() {
	local node=$1 cfg="$CONFIG_DIR/$1.yaml" log="$DEMO_DIR/$1.log"
	[[ -z $(proxy_pid "$node") ]] || return 0
	if [[ ! -f $cfg ]]; then
		say "proxy $node: no config $cfg, not started"
		return 0
	fi
	# setsid: the proxy survives this script and the terminal's Ctrl-C.
	setsid bin/shardline --config "$cfg" </dev/null >>"$log" 2>&1 &
	echo "$!" >"$DEMO_DIR/$node.pid"
	LAUNCHED+=("$node")
}

launched() { local n; for n in "${LAUNCHED[@]}"; do [[ $n == "$1" ]] && return 0; done; return 1; }

# wait_proxy NODE PORT: wait until the node listens on its MySQL port.
wait_proxy() {
	local node=$1 port=$2 log="$DEMO_DIR/$1.log" pid
	if ! launched "$node"; then
		pid=$(proxy_pid "$node")
		[[ -n $pid ]] || return 0 # no config
		if ! port_open "$port"; then
			say "proxy $node (pid $pid) is running but not listening on $port; see $log (make demo-down, then retry)" >&2
			return 1
		fi
		say "proxy $node 127.0.0.1:$port pid=$pid running"
		return 0
	fi
	pid=$(<"$DEMO_DIR/$node.pid")
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

# have PROG: PROG is in PATH or in /usr/sbin (Debian's mariadbd is there).
have() { command -v "$1" >/dev/null 2>&1 || [[ -x /usr/sbin/$1 ]]; }

# ensure_mariadb: the MariaDB server and client must be installed. As root on
# Debian/Ubuntu they are installed with apt-get; elsewhere say what to install.
ensure_mariadb() {
	if have mariadbd && have mariadb-install-db && { have mariadb || have mysql; }; then
		return 0
	fi
	if [[ $(id -u) -eq 0 && -r /etc/debian_version ]] && have apt-get; then
		say "MariaDB not found: installing mariadb-server and mariadb-client with apt-get"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -q
		apt-get install -y -q --no-install-recommends mariadb-server mariadb-client
		have mariadbd && have mariadb-install-db && return 0
	fi
	cat >&2 <<-'EOT'
		The demo needs MariaDB, tested with 10.11 (mariadbd, mariadb-install-db and the
		mariadb client; the demo starts its own servers, no system service is used).
		Install it, then run `make demo` again:
		  Debian/Ubuntu:  sudo apt-get install mariadb-server mariadb-client
		  Fedora/RHEL:    sudo dnf install mariadb-server mariadb
		  macOS:          brew install mariadb
	EOT
	exit 1
}

# sql PORT [DB]: run the SQL on stdin through the mariadb/mysql client.
sql() {
	local client=mariadb
	have mariadb || client=mysql
	"$client" --no-defaults -h127.0.0.1 -P"$1" -uapp -papp --connect-timeout=5 ${2:+"$2"}
}

# check_ports: every shard and node that is not running must find its ports
# free, before anything starts (otherwise a half-started demo is left behind
# and mariadbd or shardline fail with a less clear message).
check_ports() {
	local s n name port busy=0
	for s in "${SHARDS[@]}"; do
		name=${s%%:*} port=${s##*:}
		if ! "$CTL" status -dir "$DEMO_DIR" "$name" >/dev/null 2>&1 && port_open "$port"; then
			say "shard $name: port $port is already taken by another process (not a demo shard)" >&2
			busy=1
		fi
	done
	[[ -x bin/shardline ]] || return "$busy"
	for n in "${NODES[@]}"; do
		name=${n%%:*}
		[[ -z $(proxy_pid "$name") ]] || continue
		for port in "${n##*:}" ${NODE_PORTS[$name]}; do
			if port_open "$port"; then
				say "proxy $name: port $port is already taken by another process (not a demo node)" >&2
				busy=1
			fi
		done
	done
	if ((busy)); then
		say "free these ports (a demo from another checkout? run make demo-down there) and run make demo again" >&2
	fi
	return "$busy"
}

# SCHEMA_SQL creates the demo schema through the proxy (idempotent): CREATE
# DATABASE runs on every shard, CREATE TABLE on the sharded table creates
# order_01 on t3306 and order_02 on t3307.
SCHEMA_SQL="CREATE DATABASE IF NOT EXISTS oms;
USE oms;
CREATE TABLE IF NOT EXISTS orders (id BIGINT PRIMARY KEY, user_id BIGINT NOT NULL,
  item VARCHAR(64), amount DECIMAL(10,2)) ENGINE=InnoDB;"

# SAMPLE_SQL inserts the sample rows once (INSERT IGNORE: a second run keeps
# them as they are). Odd user_ids live in order_02 on t3307, even ones in
# order_01 on t3306 (algorithm mod: partition = user_id mod 2).
SAMPLE_SQL="INSERT IGNORE INTO orders (id, user_id, item, amount) VALUES
  (1, 1, 'keyboard', 49.90), (2, 2, 'mouse', 19.90),
  (3, 3, 'monitor', 189.00), (4, 4, 'cable', 4.50);"

# seed creates the schema and the sample rows through the first proxy node
# that answers, retrying while the cluster settles.
seed() {
	local deadline=$((SECONDS + PROXY_START_TIMEOUT)) n port err
	while :; do
		for n in "${NODES[@]}"; do
			port=${n##*:}
			port_open "$port" || continue
			if err=$(printf '%s\n%s\n' "$SCHEMA_SQL" "$SAMPLE_SQL" | sql "$port" 2>&1); then
				say "schema oms, table orders and sample rows ready (through 127.0.0.1:$port)"
				return 0
			fi
		done
		if ((SECONDS >= deadline)); then
			say "could not create the demo schema through the proxies: $err" >&2
			return 1
		fi
		sleep 0.5
	done
}

print_help() {
	cat <<-'EOT'

		Shardline demo is up (README.md has the walkthrough).
		  SQL, any node:   mariadb -h127.0.0.1 -P6033 -uapp -papp oms     (also -P6034, -P6035)
		  shards directly: mariadb -h127.0.0.1 -P13306 -uroot oms   (t3306: order_01)
		                   mariadb -h127.0.0.1 -P13307 -uroot oms   (t3307: order_02)
		  admin API:       http://127.0.0.1:9090 (also 9091, 9092), token demo-token
		                   curl -H 'Authorization: Bearer demo-token' http://127.0.0.1:9090/v1/cluster
		  shardctl:        export SHARDCTL_ADDR=127.0.0.1:9090 SHARDCTL_TOKEN=demo-token
		                   bin/shardctl cluster status
		                   bin/shardctl map show
		                   bin/shardctl txn list
		  logs:            .demo/n1.log .demo/n2.log .demo/n3.log
		  stop:            make demo-down     (make demo-clean also deletes .demo/)
	EOT
}

up() {
	ensure_mariadb
	ensure_ctl
	mkdir -p "$DEMO_DIR"
	check_ports
	"$CTL" up -dir "$DEMO_DIR" "${SHARDS[@]}"
	if [[ ! -x bin/shardline ]]; then
		say "bin/shardline does not exist (cmd/shardline not built); only the MariaDB shards are running."
		return 0
	fi
	local n
	LAUNCHED=()
	for n in "${NODES[@]}"; do
		launch_proxy "${n%%:*}"
	done
	for n in "${NODES[@]}"; do
		wait_proxy "${n%%:*}" "${n##*:}"
	done
	seed
	print_help
}

# ports_in_use lists the demo ports something still listens on.
ports_in_use() {
	local p
	for p in 13306 13307 6033 6034 6035 9090 9091 9092 7001 7002 7003; do
		port_open "$p" && printf '%s ' "$p"
	done
	return 0
}

down() {
	local n
	# In parallel: each node takes a moment to leave cleanly.
	for n in "${NODES[@]}"; do
		stop_proxy "${n%%:*}" &
	done
	wait
	if [[ -d $DEMO_DIR ]]; then
		ensure_ctl
		# shellcheck disable=SC2046
		"$CTL" down -dir "$DEMO_DIR" $(shard_names)
	fi
	local busy
	busy=$(ports_in_use)
	if [[ -n $busy ]]; then
		say "note: ports still in use after demo-down (not by this demo's processes): $busy" >&2
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
