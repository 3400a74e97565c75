package xa

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"

	"github.com/shardline/shardline/internal/mariadbtest"
)

// memLog is an in-memory DecisionLog with the contract of the Raft one:
// first decision wins, resolved decisions stay readable. failNext makes the
// next RecordDecision calls fail, after (applied) or without applying.
type memLog struct {
	mu        sync.Mutex
	decisions map[string]Outcome
	resolved  map[string]bool
	records   int
	failNext  int  // number of RecordDecision calls to fail
	applyFail bool // whether a failing call still applies the decision
	down      bool // every call fails (a log with no leader)
}

var errLogDown = fmt.Errorf("memlog: no leader: %w", ErrIndeterminate)

func newMemLog() *memLog {
	return &memLog{decisions: map[string]Outcome{}, resolved: map[string]bool{}}
}

func (m *memLog) RecordDecision(_ context.Context, g string, o Outcome) (Outcome, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down {
		return "", errLogDown
	}
	if m.failNext > 0 {
		m.failNext--
		if m.applyFail {
			m.recordLocked(g, o)
		}
		return "", errLogDown
	}
	return m.recordLocked(g, o), nil
}

func (m *memLog) recordLocked(g string, o Outcome) Outcome {
	m.records++
	if got, ok := m.decisions[g]; ok {
		return got
	}
	m.decisions[g] = o
	return o
}

func (m *memLog) LookupDecision(_ context.Context, g string) (Outcome, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down {
		return "", false, errLogDown
	}
	o, ok := m.decisions[g]
	return o, ok, nil
}

func (m *memLog) MarkResolved(_ context.Context, g string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down {
		return errLogDown
	}
	m.resolved[g] = true
	return nil
}

// UnresolvedDecisions implements PendingLister.
func (m *memLog) UnresolvedDecisions(context.Context) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for g := range m.decisions {
		if !m.resolved[g] {
			out = append(out, g)
		}
	}
	return out, nil
}

func (m *memLog) decision(g string) (Outcome, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.decisions[g]
	return o, ok
}

func (m *memLog) isResolved(g string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.resolved[g]
}

func (m *memLog) recordCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.records
}

// cluster is a set of real MariaDB shards with a test table xt.acc.
type cluster struct {
	t       testing.TB
	servers []*mariadbtest.Server
	names   []string
}

// startCluster starts n MariaDB servers named s0..s{n-1} with xt.acc(id, v).
func startCluster(t testing.TB, n int) *cluster {
	t.Helper()
	c := &cluster{t: t, servers: mariadbtest.StartN(t, n)}
	for i := range c.servers {
		c.names = append(c.names, fmt.Sprintf("s%d", i))
		c.exec(i, "CREATE DATABASE IF NOT EXISTS xt")
		c.exec(i, "CREATE TABLE IF NOT EXISTS xt.acc (id INT PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB")
	}
	return c
}

// dial opens a fresh connection to shard i; t.Cleanup closes it.
func (c *cluster) dial(i int) *client.Conn {
	c.t.Helper()
	conn, err := client.ConnectWithTimeout(c.servers[i].Addr(), "root", "", "", 5*time.Second)
	if err != nil {
		c.t.Fatalf("dial shard %d: %v", i, err)
	}
	c.t.Cleanup(func() { conn.Close() })
	return conn
}

// exec runs q on a fresh connection to shard i and fails the test on error.
func (c *cluster) exec(i int, q string) {
	c.t.Helper()
	conn := c.dial(i)
	defer conn.Close()
	if _, err := conn.Execute(q); err != nil {
		c.t.Fatalf("shard %d: %s: %v", i, q, err)
	}
}

// count returns SELECT COUNT(*) FROM xt.acc WHERE cond on shard i.
func (c *cluster) count(i int, cond string) int64 {
	c.t.Helper()
	conn := c.dial(i)
	defer conn.Close()
	r, err := conn.Execute("SELECT COUNT(*) FROM xt.acc WHERE " + cond)
	if err != nil {
		c.t.Fatalf("shard %d count: %v", i, err)
	}
	n, _ := r.GetInt(0, 0)
	return n
}

// recovered lists every XID (ours or not) prepared on shard i.
func (c *cluster) recovered(i int) []XID {
	c.t.Helper()
	conn := c.dial(i)
	defer conn.Close()
	r, err := conn.Execute("XA RECOVER FORMAT='SQL'")
	if err != nil {
		c.t.Fatalf("shard %d: XA RECOVER: %v", i, err)
	}
	var out []XID
	for row := range r.Values {
		fid, _ := r.GetInt(row, 0)
		data, _ := r.GetString(row, 3)
		x, err := ParseRecoverSQL(fid, data)
		if err != nil {
			c.t.Fatalf("shard %d: %v", i, err)
		}
		out = append(out, x)
	}
	return out
}

// shards implements Shards by dialing a fresh connection each time.
func (c *cluster) shards() Shards { return clusterShards{c} }

type clusterShards struct{ c *cluster }

func (s clusterShards) Names() []string { return s.c.names }

func (s clusterShards) Conn(_ context.Context, shard string) (Conn, func(), error) {
	for i, n := range s.c.names {
		if n == shard {
			conn, err := client.ConnectWithTimeout(s.c.servers[i].Addr(), "root", "", "", 5*time.Second)
			if err != nil {
				return nil, nil, err
			}
			return conn, func() { conn.Close() }, nil
		}
	}
	return nil, nil, fmt.Errorf("no shard %q", shard)
}

// mustCode fails unless err carries the MySQL error code want.
func mustCode(t testing.TB, err error, want uint16, what string) {
	t.Helper()
	if got := ErrorCode(err); got != want {
		t.Fatalf("%s: want error %d, got %v", what, want, err)
	}
}

// mustOK fails on err.
func mustOK(t testing.TB, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func run(c Conn, q string) error { _, err := c.Execute(q); return err }
