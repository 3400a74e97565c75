package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync/atomic"
	"time"

	promsink "github.com/armon/go-metrics/prometheus"
	gometrics "github.com/hashicorp/go-metrics/compat"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/shardline/shardline/admin"
	"github.com/shardline/shardline/metaraft"
	"github.com/shardline/shardline/proxy"
	"github.com/shardline/shardline/router"
	"github.com/shardline/shardline/xa"
)

// node is one running Shardline process: its parts, stopped in reverse order.
type node struct {
	done  chan error
	stops []func()
}

func (n *node) onStop(f func()) { n.stops = append(n.stops, f) }

func (n *node) stop() {
	for i := len(n.stops) - 1; i >= 0; i-- {
		n.stops[i]()
	}
}

// staticMap serves the config file's shard map when there is no Raft group.
type staticMap struct {
	m atomic.Pointer[router.ShardMap]
}

func (s *staticMap) ShardMap() *router.ShardMap { return s.m.Load() }

// startNode wires the parts: metadata (Raft or static), the MySQL proxy, the
// XA coordinator and resolver, the admin endpoint.
func startNode(cfg Config, log *slog.Logger) (_ *node, err error) {
	n := &node{done: make(chan error, 4)}
	defer func() {
		if err != nil {
			n.stop() // what started before the failure, in reverse order
		}
	}()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	deps := proxy.Deps{Planner: router.NewPlanner(), Logger: log, Metrics: proxy.NewMetrics(reg)}

	var meta *metaraft.Node
	if cfg.Raft == nil {
		maps := &staticMap{}
		m := cfg.ShardMap
		maps.m.Store(&m)
		deps.Map = maps
	} else {
		if err := exportRaftMetrics(reg); err != nil {
			return nil, err
		}
		if meta, err = startMeta(cfg, log); err != nil {
			return nil, err
		}
		n.onStop(func() { _ = meta.Close() })
		deps.Map = meta
		deps.Sequences = proxy.NewSequences(meta, cfg.Sequences.BlockSize)
	}

	var coord *xa.Coordinator
	if meta != nil {
		if coord, err = startCoordinator(cfg, meta, log, reg); err != nil {
			return nil, err
		}
		deps.Txns = proxy.XATxns(coord)
		n.onStop(coord.Close)
	}

	cfg.Proxy.CrossShardLockWait = cfg.XA.LockWaitTimeout
	srv, err := proxy.NewServer(cfg.Proxy, deps)
	if err != nil {
		return nil, err
	}
	if err := srv.Listen(); err != nil {
		return nil, err
	}
	go func() { n.done <- srv.Serve() }()
	n.onStop(func() { _ = srv.Close() })
	log.Info("mysql listening", "addr", srv.Addr(), "node", cfg.NodeID)

	var resolver *xa.Resolver
	if meta != nil {
		meta.WatchShardMap(srv.ShardMapChanged)
		srv.ShardMapChanged(meta.ShardMap()) // changes before the watch was set
		resolver = xa.NewResolver(xa.ResolverConfig{Interval: cfg.XA.ResolveInterval, PrepareTimeout: cfg.XA.PrepareTimeout,
			Logger: log.With("part", "resolver")}, xa.AdaptLog[metaraft.Outcome](meta), shardConns{srv})
		reg.MustRegister(resolver.Collectors()...)
		ctx, cancel := context.WithCancel(context.Background())
		go runResolverOnLeader(ctx, meta, resolver, cfg.XA.ResolveInterval)
		n.onStop(cancel)
	}

	if cfg.Admin.Listen != "" && meta != nil {
		acfg := admin.Config{Addr: cfg.Admin.Listen, Token: cfg.Admin.Token, Logger: log.With("part", "admin"), TLS: cfg.clusterTLS}
		if resolver != nil {
			acfg.Transactions = func(ctx context.Context) (any, error) { return resolver.InDoubt(ctx) }
		}
		as := admin.New(acfg, meta, reg)
		ln, err := net.Listen("tcp", cfg.Admin.Listen)
		if err != nil {
			return nil, err
		}
		go func() { n.done <- as.Serve(ln) }()
		n.onStop(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			_ = as.Shutdown(ctx)
		})
		log.Info("admin listening", "addr", cfg.Admin.Listen)
	}
	return n, nil
}

// startMeta opens the Raft node; the bootstrapping node loads the config
// file's shard map into an empty cluster.
func startMeta(cfg Config, log *slog.Logger) (*metaraft.Node, error) {
	mc := metaraft.DefaultConfig()
	mc.NodeID, mc.RaftAddr, mc.DataDir = cfg.NodeID, cfg.Raft.Addr, cfg.Raft.DataDir
	mc.AdminAddr, mc.MySQLAddr, mc.Token = cfg.Admin.Listen, cfg.Proxy.Listen, cfg.Admin.Token
	mc.TLS = cfg.clusterTLS
	mc.Bootstrap, mc.Join = cfg.Raft.Bootstrap, cfg.Raft.Join
	mc.Logger = log.With("part", "metaraft")
	meta, err := metaraft.Open(mc)
	if err != nil {
		return nil, fmt.Errorf("metaraft: %w", err)
	}
	if cfg.Raft.Bootstrap && len(cfg.ShardMap.Shards) > 0 {
		// Only while the cluster's map is still at version 0: after that the
		// map lives in Raft and the config file's copy is history.
		var loaded bool
		if err := retry(30*time.Second, func(ctx context.Context) (err error) {
			loaded, err = meta.LoadInitialShardMap(ctx, &cfg.ShardMap)
			return err
		}); err != nil {
			_ = meta.Close()
			return nil, fmt.Errorf("loading the config's shard map into Raft: %w", err)
		}
		if loaded {
			log.Info("loaded the config's shard map into the Raft group")
		}
	}
	return meta, nil
}

// startCoordinator creates the XA coordinator with an epoch allocated
// through Raft, so gtrids never repeat across restarts (xa/DESIGN.md, fact 15).
func startCoordinator(cfg Config, meta *metaraft.Node, log *slog.Logger, reg *prometheus.Registry) (*xa.Coordinator, error) {
	var epoch uint64
	if err := retry(30*time.Second, func(ctx context.Context) error {
		first, _, err := meta.AllocateBlock(ctx, "xa-epoch/"+cfg.NodeID, 1)
		epoch = first
		return err
	}); err != nil {
		return nil, fmt.Errorf("allocating the XA epoch: %w", err)
	}
	xc := xa.DefaultConfig(cfg.NodeID, epoch)
	xc.Logger = log.With("part", "xa")
	// The resolver aborts an undecided branch after xa.prepare_timeout; a
	// live coordinator must reach its decision well within that (xa's rule:
	// resolver timeout >= coordinator prepare + decision timeouts).
	xc.PrepareTimeout = max(cfg.XA.PrepareTimeout/3, time.Second)
	xc.DecisionTimeout = max(cfg.XA.PrepareTimeout/3, time.Second)
	coord, err := xa.NewCoordinator(xc, xa.AdaptLog[metaraft.Outcome](meta))
	if err != nil {
		return nil, err
	}
	reg.MustRegister(coord.Collectors()...)
	return coord, nil
}

func retry(total time.Duration, f func(ctx context.Context) error) error {
	deadline := time.Now().Add(total)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := f(ctx)
		cancel()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// runResolverOnLeader runs resolver rounds while this node leads the Raft
// group (decision look-ups are linearizable there; xa/DESIGN.md, fact 14).
func runResolverOnLeader(ctx context.Context, meta *metaraft.Node, r *xa.Resolver, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if meta.IsLeader() {
				_, _ = r.RunOnce(ctx)
			}
		}
	}
}

// shardConns gives the resolver backend connections through the proxy's pools.
type shardConns struct{ s *proxy.Server }

func (s shardConns) Names() []string { return s.s.ShardNames() }

func (s shardConns) Conn(ctx context.Context, shard string) (xa.Conn, func(), error) {
	return s.s.BackendConn(ctx, shard)
}

// exportRaftMetrics publishes hashicorp/raft's own metrics (commit and apply
// times, replication, snapshots, leadership changes) on /metrics, prefixed
// shardline_raft_. raft reports them through the go-metrics global (armon's
// API in its default build), which this routes to a Prometheus sink on reg.
// One node per process: the global is the process's.
func exportRaftMetrics(reg prometheus.Registerer) error {
	sink, err := promsink.NewPrometheusSinkFrom(promsink.PrometheusOpts{Registerer: reg, Expiration: 5 * time.Minute, Name: "shardline_raft"})
	if err != nil {
		return fmt.Errorf("raft metrics: %w", err)
	}
	mc := gometrics.DefaultConfig("shardline")
	mc.EnableHostname, mc.EnableRuntimeMetrics, mc.EnableServiceLabel = false, false, false
	if _, err := gometrics.NewGlobal(mc, sink); err != nil {
		return fmt.Errorf("raft metrics: %w", err)
	}
	return nil
}
