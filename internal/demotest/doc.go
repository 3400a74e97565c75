// Package demotest holds the end-to-end test of the demo cluster: it runs
// `make demo` in the repository (fixed ports of README.md "Quick start"),
// replays the README walkthrough through every proxy node with
// go-sql-driver, checks the shards directly, kills the Raft leader and brings
// it back with `make demo`, and stops everything with `make demo-down`.
// It also validates docker-compose.yml. The package has no non-test code.
package demotest
