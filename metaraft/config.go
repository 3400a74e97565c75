package metaraft

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/hashicorp/raft"
)

// Config configures one metaraft node. Start from DefaultConfig and set the
// addresses, the node id and the data directory.
type Config struct {
	// NodeID is this node's stable Raft server id (e.g. "n1"); never reuse one.
	NodeID string
	// RaftAddr is the host:port the Raft TCP transport binds to and advertises.
	// Without TLS the transport is plaintext: keep it on loopback or a
	// private network.
	RaftAddr string
	// TLS, when set, secures the traffic between nodes: the Raft transport
	// runs over mutual TLS (peers must present a certificate signed by
	// RootCAs, or ClientCAs when set), and forwarded writes, reads and joins
	// go to the other nodes' admin endpoints over HTTPS with this node's
	// certificate. Every node's certificate must be valid for the host of
	// its RaftAddr and AdminAddr. The admin servers must serve TLS too.
	TLS *tls.Config
	// DataDir holds raft.db (BoltDB log + stable store) and snapshots/.
	DataDir string
	// AdminAddr is the advertised admin HTTP address; followers forward writes
	// to the leader's AdminAddr (POST /internal/...), and /v1/cluster shows it.
	AdminAddr string
	// MySQLAddr is the advertised MySQL listener address, shown by /v1/cluster.
	MySQLAddr string
	// Token is the admin bearer token; it authenticates forwarded writes and
	// joins between nodes. Empty disables the check (tests, demos only).
	Token string
	// Bootstrap makes a node without Raft state bootstrap a single-voter
	// cluster of itself. Ignored when the data dir already holds state.
	Bootstrap bool
	// Join lists admin addresses of existing members; a node without Raft
	// state asks them (POST /v1/cluster/nodes) to add it. Ignored on restart.
	Join []string
	// JoinTimeout bounds how long Open keeps retrying Join.
	JoinTimeout time.Duration

	// HeartbeatTimeout, ElectionTimeout, LeaderLeaseTimeout and CommitTimeout
	// are passed to hashicorp/raft. CommitTimeout is also how long a follower
	// may wait to learn that an entry committed (raft sends the commit index
	// with the next append, at the latest every 1-2 CommitTimeouts), so it
	// bounds the latency of forwarded writes when the leader's nudge (see
	// metaraft/DESIGN.md) is not enough: keep it small (default 5 ms).
	HeartbeatTimeout   time.Duration
	ElectionTimeout    time.Duration
	LeaderLeaseTimeout time.Duration
	CommitTimeout      time.Duration
	// ApplyTimeout bounds one write (including forwarding and retries) when
	// the caller's context has no deadline.
	ApplyTimeout time.Duration
	// MaxAppendEntries is how many log entries are batched into one append
	// (and, with batched applies, one fsync). Max 1024.
	MaxAppendEntries int
	// SnapshotThreshold is the number of log entries since the last snapshot
	// that triggers a new one; SnapshotInterval is how often that is checked.
	// A snapshot holds the whole state (map, kept decisions, sequences).
	SnapshotThreshold uint64
	SnapshotInterval  time.Duration
	// TrailingLogs is how many entries are kept after a snapshot (so slow
	// followers can catch up without a snapshot install).
	TrailingLogs uint64
	// DecisionRetention is how long a resolved decision is kept before the
	// leader garbage-collects it; GCInterval is how often it looks. It must
	// exceed the longest a coordinator may keep retrying one decision
	// (xa.MinDecisionRetention, 10 min). Every kept decision is in memory and
	// in every snapshot, so do not make it much longer than needed.
	DecisionRetention time.Duration
	GCInterval        time.Duration
	// Logger receives metaraft's and raft's (bridged hclog) logs.
	Logger *slog.Logger
	// WrapTransport, when set, wraps the Raft transport (fault injection in
	// tests). Production leaves it nil.
	WrapTransport func(raft.Transport) raft.Transport
}

// DefaultConfig returns a Config with production timeouts and no addresses.
func DefaultConfig() Config {
	return Config{
		JoinTimeout:        30 * time.Second,
		HeartbeatTimeout:   1000 * time.Millisecond,
		ElectionTimeout:    1000 * time.Millisecond,
		LeaderLeaseTimeout: 500 * time.Millisecond,
		CommitTimeout:      5 * time.Millisecond,
		ApplyTimeout:       10 * time.Second,
		MaxAppendEntries:   256,
		SnapshotThreshold:  65536,
		SnapshotInterval:   120 * time.Second,
		TrailingLogs:       10240,
		DecisionRetention:  15 * time.Minute,
		GCInterval:         time.Minute,
		Logger:             slog.Default(),
	}
}

// Validate reports the first missing or inconsistent field.
func (c *Config) Validate() error {
	switch {
	case c.NodeID == "":
		return errors.New("metaraft: NodeID is required")
	case c.DataDir == "":
		return errors.New("metaraft: DataDir is required")
	case c.AdminAddr == "":
		return errors.New("metaraft: AdminAddr is required")
	case c.Bootstrap && len(c.Join) > 0:
		return errors.New("metaraft: Bootstrap and Join are exclusive")
	case c.MaxAppendEntries <= 0 || c.MaxAppendEntries > 1024:
		return fmt.Errorf("metaraft: MaxAppendEntries %d out of 1..1024", c.MaxAppendEntries)
	case c.LeaderLeaseTimeout > c.HeartbeatTimeout:
		return errors.New("metaraft: LeaderLeaseTimeout must not exceed HeartbeatTimeout")
	case c.ElectionTimeout < c.HeartbeatTimeout:
		return errors.New("metaraft: ElectionTimeout must be at least HeartbeatTimeout")
	case c.LeaderLeaseTimeout < 5*time.Millisecond || c.CommitTimeout < time.Millisecond:
		return errors.New("metaraft: LeaderLeaseTimeout (>= 5ms) and CommitTimeout (>= 1ms) are too short")
	case c.ApplyTimeout <= 0 || c.DecisionRetention <= 0 || c.GCInterval <= 0:
		return errors.New("metaraft: ApplyTimeout, DecisionRetention and GCInterval must be positive")
	case c.Logger == nil:
		return errors.New("metaraft: Logger is required")
	}
	if _, err := net.ResolveTCPAddr("tcp", c.RaftAddr); err != nil {
		return fmt.Errorf("metaraft: RaftAddr %q: %w", c.RaftAddr, err)
	}
	return nil
}
