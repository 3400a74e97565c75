package xa

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
)

// env is one coordinator and one resolver over a cluster, with an
// in-memory decision log.
type env struct {
	t     testing.TB
	c     *cluster
	log   *memLog
	coord *Coordinator
	res   *Resolver
}

var nextRowID atomic.Int64

// newEnv builds a coordinator (with failpoint fp, may be nil) and a
// resolver that aborts undecided branches at once.
func newEnv(t testing.TB, c *cluster, fp func(string) error) *env {
	t.Helper()
	e := &env{t: t, c: c, log: newMemLog()}
	cfg := Config{NodeID: "t1", Epoch: uint64(time.Now().UnixNano()), PrepareTimeout: 5 * time.Second,
		DecisionTimeout: 300 * time.Millisecond, Phase2Timeout: 5 * time.Second,
		BranchWaitTimeout: 5 * time.Second, Logger: quietLogger(), Failpoint: fp}
	var err error
	if e.coord, err = NewCoordinator(cfg, e.log); err != nil {
		t.Fatal(err)
	}
	e.res = NewResolver(ResolverConfig{PrepareTimeout: -1, Logger: quietLogger()}, e.log, c.shards())
	e.res.grace = 10 * time.Millisecond
	t.Cleanup(e.coord.Close)
	return e
}

func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(discard{}, &slog.HandlerOptions{Level: slog.LevelError + 1}))
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// write enlists shard i on conn and inserts a fresh row; it returns the id.
func (e *env) write(txn *Txn, i int, conn Conn) int64 {
	e.t.Helper()
	id := nextRowID.Add(1)
	shard := e.c.names[i]
	mustOK(e.t, txn.Enlist(shard, conn), "enlist "+shard)
	mustOK(e.t, run(conn, fmt.Sprintf("INSERT INTO xt.acc VALUES (%d, 0)", id)), "insert")
	txn.MarkWrite(shard)
	return id
}

// rowsOn counts the given ids on shard i.
func (e *env) rowsOn(i int, ids ...int64) int64 {
	s := make([]string, len(ids))
	for k, id := range ids {
		s[k] = fmt.Sprint(id)
	}
	return e.c.count(i, "id IN ("+strings.Join(s, ",")+")")
}

// resolveAll runs resolver rounds until no Shardline branch is left (a
// closed owner connection is detached by the server asynchronously, so
// the first round may get 1397).
func (e *env) resolveAll() {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		rep, err := e.res.RunOnce(context.Background())
		if err == nil && rep.InDoubt == 0 {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("resolver did not finish: %+v %v", rep, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ours lists the Shardline XIDs prepared on shard i.
func (e *env) ours(i int) []XID {
	var out []XID
	for _, x := range e.c.recovered(i) {
		if x.Ours() {
			out = append(out, x)
		}
	}
	return out
}

// logConn wraps a real connection and records the statements sent, so
// tests can check which XA statements a commit issued.
type logConn struct {
	Conn
	mu  sync.Mutex
	log []string
}

func (l *logConn) Execute(q string, args ...any) (*mysql.Result, error) {
	l.mu.Lock()
	l.log = append(l.log, q)
	l.mu.Unlock()
	return l.Conn.Execute(q, args...)
}

func (l *logConn) SetDeadline(t time.Time) error {
	if d, ok := l.Conn.(deadliner); ok {
		return d.SetDeadline(t)
	}
	return nil
}

func (l *logConn) Close() error {
	if c, ok := l.Conn.(interface{ Close() error }); ok {
		return c.Close()
	}
	return nil
}

// sent reports whether any recorded statement starts with prefix.
func (l *logConn) sent(prefix string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, q := range l.log {
		if strings.HasPrefix(q, prefix) {
			return true
		}
	}
	return false
}
