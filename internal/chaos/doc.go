// Package chaos holds Shardline's fault-injection tests: a bank workload
// over three real shardline processes and two real MariaDB shards while
// proxy nodes are killed, paused and cut off from Raft and shards are
// restarted (TestChaosBank), and a linearizability check of the Raft
// decision register while its leader process is killed
// (TestChaosDecisionRegister).
//
// `go test` runs short forms (about 20 s of workload, two faults);
// `make chaos` (scripts/chaos.sh, SHARDLINE_CHAOS=1) runs the full schedule
// for CHAOS_DURATION (default 2m). Everything runs on 127.0.0.1 and every
// process a test starts is killed in t.Cleanup.
package chaos
