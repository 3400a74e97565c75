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
	"sync/atomic"
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
	peers   peerHealth
	startAt uint64 // last log index found on disk at Open

	nudging, nudgeWanted atomic.Bool // see nudgeFollowers

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
		client: newForwardClient(cfg.ApplyTimeout, cfg.TLS),
		watch:  newWatchers(),
		stop:   make(chan struct{}),
	}
	n.fsm = newFSM(n.watch.publish)
	hasState, err := n.startRaft()
	if err != nil {
		n.watch.close()
		return nil, err
	}
	n.wg.Add(3)
	go n.leaderLoop()
	go n.refreshSelf()
	go n.watchPeers()
	if !hasState && len(cfg.Join) > 0 {
		if err := n.join(); err != nil {
			_ = n.Close()
			return nil, err
		}
	}
	return n, nil
}

// startRaft creates the stores, the transport and the raft instance, and
// bootstraps when asked to and there is no state yet.
func (n *Node) startRaft() (hasState bool, err error) {
	hlog := newHclog(n.log, "raft")
	store, snaps, err := openStores(n.cfg.DataDir, hlog)
	if err != nil {
		return false, err
	}
	tcp, trans, err := n.openTransport(hlog)
	if err != nil {
		_ = store.Close()
		return false, err
	}
	defer func() {
		if err != nil {
			_ = tcp.Close()
			_ = store.Close()
		}
	}()
	logs, err := raft.NewLogCache(1024, store)
	if err != nil {
		return false, err
	}
	if hasState, err = raft.HasExistingState(logs, store, snaps); err != nil {
		return false, fmt.Errorf("metaraft: read raft state: %w", err)
	}
	n.startAt, _ = store.LastIndex()
	r, err := raft.NewRaft(n.raftConfig(hlog), n.fsm, logs, store, snaps, trans)
	if err != nil {
		return false, fmt.Errorf("metaraft: start raft: %w", err)
	}
	n.raft, n.store, n.trans = r, store, trans
	if !hasState && n.cfg.Bootstrap {
		if err = n.bootstrap(); err != nil {
			_ = r.Shutdown().Error()
			return false, err
		}
	}
	return hasState, nil
}

// openStores opens raft.db (BoltDB, fsync on: log + stable store) and the
// snapshot store in dir.
func openStores(dir string, hlog hclog.Logger) (*raftboltdb.BoltStore, raft.SnapshotStore, error) {
	store, err := raftboltdb.New(raftboltdb.Options{Path: filepath.Join(dir, "raft.db")})
	if err != nil {
		return nil, nil, fmt.Errorf("metaraft: open raft.db: %w", err)
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(dir, 2, hlog)
	if err != nil {
		_ = store.Close()
		return nil, nil, fmt.Errorf("metaraft: snapshot store: %w", err)
	}
	return store, snaps, nil
}

// openTransport binds the Raft TCP transport; trans is it, or its wrapper.
func (n *Node) openTransport(hlog hclog.Logger) (*raft.NetworkTransport, raft.Transport, error) {
	var tcp *raft.NetworkTransport
	if n.cfg.TLS != nil {
		stream, err := newTLSStream(n.cfg.RaftAddr, n.cfg.TLS)
		if err != nil {
			return nil, nil, err
		}
		tcp = raft.NewNetworkTransportWithLogger(stream, 3, 10*time.Second, hlog)
	} else {
		addr, err := net.ResolveTCPAddr("tcp", n.cfg.RaftAddr)
		if err != nil {
			return nil, nil, err
		}
		if tcp, err = raft.NewTCPTransportWithLogger(n.cfg.RaftAddr, addr, 3, 10*time.Second, hlog); err != nil {
			return nil, nil, fmt.Errorf("metaraft: raft transport: %w", err)
		}
	}
	if n.cfg.WrapTransport != nil {
		return tcp, n.cfg.WrapTransport(tcp), nil
	}
	return tcp, tcp, nil
}

// bootstrap makes this node a single-voter cluster.
func (n *Node) bootstrap() error {
	conf := raft.Configuration{Servers: []raft.Server{{
		Suffrage: raft.Voter, ID: raft.ServerID(n.cfg.NodeID), Address: n.trans.LocalAddr(),
	}}}
	if err := n.raft.BootstrapCluster(conf).Error(); err != nil && !errors.Is(err, raft.ErrCantBootstrap) {
		return fmt.Errorf("metaraft: bootstrap: %w", err)
	}
	return nil
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
