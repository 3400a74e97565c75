package main

import (
	"log/slog"
	"sync/atomic"

	"github.com/shardline/shardline/proxy"
	"github.com/shardline/shardline/router"
)

// node is one running Shardline process: the parts started by startNode, in
// the order they stop.
type node struct {
	proxy *proxy.Server
	done  chan error
	stops []func()
}

// staticMap serves a shard map that never changes (no Raft).
type staticMap struct {
	m atomic.Pointer[router.ShardMap]
}

func (s *staticMap) ShardMap() *router.ShardMap { return s.m.Load() }

func startNode(cfg Config, log *slog.Logger) (*node, error) {
	n := &node{done: make(chan error, 2)}
	maps := &staticMap{}
	m := cfg.ShardMap
	maps.m.Store(&m)
	srv, err := proxy.NewServer(cfg.Proxy, proxy.Deps{Map: maps, Planner: router.NewPlanner(), Logger: log})
	if err != nil {
		return nil, err
	}
	if err := srv.Listen(); err != nil {
		return nil, err
	}
	n.proxy = srv
	go func() { n.done <- srv.Serve() }()
	n.stops = append(n.stops, func() { _ = srv.Close() })
	log.Info("shardline listening", "mysql", srv.Addr(), "node", cfg.NodeID)
	return n, nil
}

func (n *node) stop() {
	for i := len(n.stops) - 1; i >= 0; i-- {
		n.stops[i]()
	}
}
