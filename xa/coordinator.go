package xa

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
)

// Conn is one backend connection: the proxy's pooled connection or a
// go-mysql *client.Conn. If it also implements io.Closer, the coordinator
// closes it when it must abandon a branch (a failed or timed-out statement,
// or a prepared branch left for the resolver): the server then detaches the
// prepared branch so that another connection can finish it (xa/DESIGN.md, fact 2).
// If it implements SetDeadline(time.Time) error (a *client.Conn does), a
// statement whose context ends is interrupted through the socket deadline;
// otherwise by Close, which races with the running statement in go-mysql.
type Conn interface {
	Execute(query string, args ...any) (*mysql.Result, error)
}

// Config configures a Coordinator. Zero durations take the defaults of
// DefaultConfig.
type Config struct {
	// NodeID names this proxy node inside gtrids: 1..16 bytes of [A-Za-z0-9_-].
	NodeID string
	// Epoch distinguishes successive starts of the same node, so gtrids stay
	// unique forever (xa/DESIGN.md, fact 15): the counter restarts at 1 on every start,
	// and (NodeID, Epoch) must never repeat. Use a number allocated through
	// Raft on start (strictly unique), or the start time in milliseconds
	// (unique as long as a node never restarts within the same millisecond
	// and its clock never steps back by more than its downtime).
	Epoch uint64
	// PrepareTimeout bounds phase 1 (XA END + XA PREPARE on every branch).
	// The commit point must be reached within it, counted from the start of
	// phase 1; later the coordinator records ABORT instead. The resolver's
	// PrepareTimeout must be at least this plus DecisionTimeout.
	PrepareTimeout time.Duration
	// DecisionTimeout bounds settling the decision append: an error from the
	// DecisionLog is retried (the CAS is idempotent) until this passes; then
	// COMMIT fails with 1180 "outcome unknown".
	DecisionTimeout time.Duration
	// Phase2Timeout bounds XA COMMIT / XA ROLLBACK of the branches; what is
	// not done by then is left to the resolver.
	Phase2Timeout time.Duration
	// BranchWaitTimeout is the session wait_timeout set on a connection just
	// before it prepares a branch (whole seconds, at least 1), so that a paused
	// or partitioned proxy lets go of its prepared branches soon (xa/DESIGN.md, fact 2).
	// It is reset to the server default after the branch is finished.
	BranchWaitTimeout time.Duration
	// Logger receives structured logs; nil means slog.Default().
	Logger *slog.Logger
	// Failpoint, when not nil, is called at each step of a two-phase commit
	// ("before-prepare", "after-prepare", "before-decision",
	// "after-decision", "between-commits", "after-commit"). A non-nil error
	// makes the coordinator behave as if the process died there: it closes
	// every branch connection without another statement and returns the
	// error wrapped with ErrFailpoint. Tests only; nil in production.
	Failpoint func(name string) error
}

// Failpoint names, in the order a two-phase commit reaches them.
const (
	FailBeforePrepare  = "before-prepare"
	FailAfterPrepare   = "after-prepare"
	FailBeforeDecision = "before-decision"
	FailAfterDecision  = "after-decision"
	FailBetweenCommits = "between-commits"
	FailAfterCommit    = "after-commit"
)

// DefaultConfig returns the production defaults for nodeID and epoch.
func DefaultConfig(nodeID string, epoch uint64) Config {
	return Config{
		NodeID:            nodeID,
		Epoch:             epoch,
		PrepareTimeout:    10 * time.Second,
		DecisionTimeout:   10 * time.Second,
		Phase2Timeout:     10 * time.Second,
		BranchWaitTimeout: 30 * time.Second,
	}
}

// Validate checks the node id and fills zero fields with defaults.
func (c *Config) Validate() error {
	if err := validateNodeID(c.NodeID); err != nil {
		return fmt.Errorf("xa: Config.NodeID: %w", err)
	}
	d := DefaultConfig(c.NodeID, c.Epoch)
	for _, f := range []struct{ v, def *time.Duration }{
		{&c.PrepareTimeout, &d.PrepareTimeout}, {&c.DecisionTimeout, &d.DecisionTimeout},
		{&c.Phase2Timeout, &d.Phase2Timeout}, {&c.BranchWaitTimeout, &d.BranchWaitTimeout},
	} {
		if *f.v < 0 {
			return fmt.Errorf("xa: negative timeout in Config")
		}
		if *f.v == 0 {
			*f.v = *f.def
		}
	}
	if c.BranchWaitTimeout < time.Second {
		c.BranchWaitTimeout = time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}

// Coordinator runs the transactions of one proxy node. It is safe for
// concurrent use; each Txn belongs to one session.
type Coordinator struct {
	cfg     Config
	log     DecisionLog
	counter atomic.Uint64
	stats   *metrics
	bg      sync.WaitGroup // asynchronous MarkResolved calls
}

// NewCoordinator validates cfg and returns a coordinator that records its
// decisions in log.
func NewCoordinator(cfg Config, log DecisionLog) (*Coordinator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		return nil, errors.New("xa: NewCoordinator: nil DecisionLog")
	}
	return &Coordinator{cfg: cfg, log: log, stats: newMetrics()}, nil
}

// Begin starts a transaction with a fresh gtrid. Nothing is sent to any
// shard until Enlist.
func (c *Coordinator) Begin() *Txn {
	g := FormatGtrid(GtridParts{NodeID: c.cfg.NodeID, Epoch: c.cfg.Epoch, Counter: c.counter.Add(1)})
	return &Txn{c: c, gtrid: g, byShard: map[string]*branch{}}
}

// Close waits for the background MarkResolved calls of finished commits.
func (c *Coordinator) Close() { c.bg.Wait() }

// failpoint calls the test hook.
func (c *Coordinator) failpoint(name string) error {
	if c.cfg.Failpoint == nil {
		return nil
	}
	if err := c.cfg.Failpoint(name); err != nil {
		return fmt.Errorf("%w %s: %w", ErrFailpoint, name, err)
	}
	return nil
}

// markResolvedAsync tells the log in the background that gtrid is finished.
func (c *Coordinator) markResolvedAsync(gtrid string) {
	c.bg.Add(1)
	go func() {
		defer c.bg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), c.cfg.DecisionTimeout)
		defer cancel()
		if err := c.log.MarkResolved(ctx, gtrid); err != nil {
			c.cfg.Logger.Warn("xa: mark resolved failed; the resolver will retry", "gtrid", gtrid, "err", err)
		}
	}()
}
