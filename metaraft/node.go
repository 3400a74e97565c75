package metaraft

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
)

// Node is one member of the metadata Raft group. All methods are safe for
// concurrent use.
type Node struct {
	cfg     Config
	log     *slog.Logger
	raft    *raft.Raft
	fsm     *fsm
	store   *raftboltdb.BoltStore
	trans   raft.Transport
	client  *http.Client
	watch   *watchers
	startAt uint64 // last log index found on disk at Open

	stop     chan struct{}
	wg       sync.WaitGroup
	closeErr error
	once     sync.Once
}

// Open starts a node from cfg.DataDir: it bootstraps (cfg.Bootstrap, no
// state yet), joins (cfg.Join, no state yet, retried up to JoinTimeout) or
// simply restarts from the BoltDB log and the latest snapshot.
func Open(cfg Config) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("metaraft: data dir: %w", err)
	}
	n := &Node{
		cfg:    cfg,
		log:    cfg.Logger.With("node", cfg.NodeID),
		client: &http.Client{Timeout: cfg.ApplyTimeout},
		watch:  newWatchers(),
		stop:   make(chan struct{}),
	}
	n.fsm = newFSM(n.watch.publish)
	hasState, err := n.startRaft()
	if err != nil {
		n.watch.close()
		return nil, err
	}
	n.wg.Add(2)
	go n.leaderLoop()
	go n.refreshSelf()
	if !hasState && len(cfg.Join) > 0 {
		if err := n.join(); err != nil {
			_ = n.Close()
			return nil, err
		}
	}
	return n, nil
}

// startRaft creates the stores, the transport and the raft instance.
func (n *Node) startRaft() (hasState bool, err error) {
	cfg := n.cfg
	store, err := raftboltdb.New(raftboltdb.Options{Path: filepath.Join(cfg.DataDir, "raft.db")})
	if err != nil {
		return false, fmt.Errorf("metaraft: open raft.db: %w", err)
	}
	cleanup := []func(){func() { _ = store.Close() }}
	defer func() {
		if err != nil {
			for _, f := range cleanup {
				f()
			}
		}
	}()
	hlog := newHclog(n.log, "raft")
	snaps, err := raft.NewFileSnapshotStoreWithLogger(cfg.DataDir, 2, hlog)
	if err != nil {
		return false, fmt.Errorf("metaraft: snapshot store: %w", err)
	}
	addr, err := net.ResolveTCPAddr("tcp", cfg.RaftAddr)
	if err != nil {
		return false, err
	}
	tcp, err := raft.NewTCPTransportWithLogger(cfg.RaftAddr, addr, 3, 10*time.Second, hlog)
	if err != nil {
		return false, fmt.Errorf("metaraft: raft transport: %w", err)
	}
	cleanup = append(cleanup, func() { _ = tcp.Close() })
	var trans raft.Transport = tcp
	if cfg.WrapTransport != nil {
		trans = cfg.WrapTransport(tcp)
	}
	logs, err := raft.NewLogCache(1024, store)
	if err != nil {
		return false, err
	}
	hasState, err = raft.HasExistingState(logs, store, snaps)
	if err != nil {
		return false, fmt.Errorf("metaraft: read raft state: %w", err)
	}
	n.startAt, _ = store.LastIndex()
	r, err := raft.NewRaft(n.raftConfig(hlog), n.fsm, logs, store, snaps, trans)
	if err != nil {
		return false, fmt.Errorf("metaraft: start raft: %w", err)
	}
	n.raft, n.store, n.trans = r, store, trans
	if !hasState && cfg.Bootstrap {
		conf := raft.Configuration{Servers: []raft.Server{{
			Suffrage: raft.Voter, ID: raft.ServerID(cfg.NodeID), Address: trans.LocalAddr(),
		}}}
		if err := r.BootstrapCluster(conf).Error(); err != nil && !errors.Is(err, raft.ErrCantBootstrap) {
			_ = r.Shutdown().Error()
			return false, fmt.Errorf("metaraft: bootstrap: %w", err)
		}
	}
	return hasState, nil
}

func (n *Node) raftConfig(hlog hclog.Logger) *raft.Config {
	c := raft.DefaultConfig()
	c.LocalID = raft.ServerID(n.cfg.NodeID)
	c.HeartbeatTimeout = n.cfg.HeartbeatTimeout
	c.ElectionTimeout = n.cfg.ElectionTimeout
	c.LeaderLeaseTimeout = n.cfg.LeaderLeaseTimeout
	c.CommitTimeout = n.cfg.CommitTimeout
	c.MaxAppendEntries = n.cfg.MaxAppendEntries
	c.BatchApplyCh = true // concurrent applies share one append + fsync
	c.SnapshotThreshold = n.cfg.SnapshotThreshold
	c.SnapshotInterval = n.cfg.SnapshotInterval
	c.TrailingLogs = n.cfg.TrailingLogs
	c.Logger = hlog
	return c
}

// Close shuts the node down: Raft first (no more applies), then the
// transport, the store and the watchers. Safe to call more than once.
func (n *Node) Close() error {
	n.once.Do(func() {
		close(n.stop)
		err := n.raft.Shutdown().Error()
		if c, ok := n.trans.(raft.WithClose); ok {
			err = errors.Join(err, c.Close())
		}
		n.wg.Wait()
		err = errors.Join(err, n.store.Close())
		n.watch.close()
		n.closeErr = err
	})
	return n.closeErr
}
