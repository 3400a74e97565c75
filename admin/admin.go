// Package admin serves Shardline's HTTP admin API (shard map, cluster,
// transactions, sequences), Prometheus /metrics and health checks, over a
// Store implemented by *metaraft.Node.
package admin

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shardline/shardline/metaraft"
	"github.com/shardline/shardline/router"
)

// Store is what the admin API needs from the metadata store. Writes may be
// called on any node: the store forwards them to its leader. ifVersion is
// the If-Match version or metaraft.AnyVersion.
type Store interface {
	ShardMap() *router.ShardMap
	PutShard(ctx context.Context, name string, s *router.Shard, ifVersion uint64) (uint64, error)
	DeleteShard(ctx context.Context, name string, ifVersion uint64) (uint64, error)
	PutSchema(ctx context.Context, name, defaultShard string, ifVersion uint64) (uint64, error)
	PutTable(ctx context.Context, schema, table string, rule *router.TableRule, ifVersion uint64) (uint64, error)
	DeleteTable(ctx context.Context, schema, table string, ifVersion uint64) (uint64, error)
	AdvanceSequence(ctx context.Context, name string, atLeast uint64) error
	Cluster() metaraft.ClusterInfo
	// ClusterView is Cluster with the states the leader sees (GET /v1/cluster).
	ClusterView(ctx context.Context) metaraft.ClusterInfo
	AddNode(ctx context.Context, id, raftAddr, adminAddr, mysqlAddr string) error
	RemoveNode(ctx context.Context, id string) error
	Decisions() []metaraft.Decision
	Stats() metaraft.Stats
	// Ready reports a known leader and a locally applied map (/readyz).
	Ready() bool
	// InternalHandler serves node-to-node forwarding under /internal/ and
	// authenticates it itself.
	InternalHandler() http.Handler
}

// Config configures the admin server.
type Config struct {
	// Addr is the listen address; keep it on loopback unless the network is
	// trusted (the token travels in clear text).
	Addr string
	// Token is the bearer token required on /v1/*. Empty disables the check
	// (only for tests and local demos).
	Token string
	// Transactions, when set, lists in-doubt XA branches found on the shards
	// (filled in by the proxy); its result is shown by GET /v1/transactions.
	Transactions func(ctx context.Context) (any, error)
	// WriteTimeout bounds one write request (forwarding and Raft commit).
	WriteTimeout time.Duration
	// Logger receives request errors.
	Logger *slog.Logger
	// TLS, when set, makes the server speak HTTPS with its certificate. A
	// client certificate is verified when one is presented (other nodes
	// present theirs); the bearer token is still required.
	TLS *tls.Config
}

// DefaultConfig returns the defaults: loopback, 10 s writes.
func DefaultConfig() Config {
	return Config{Addr: "127.0.0.1:9090", WriteTimeout: 10 * time.Second, Logger: slog.Default()}
}

// Server is the admin HTTP server.
type Server struct {
	cfg     Config
	store   Store
	handler http.Handler

	mu  sync.Mutex
	srv *http.Server
}

// New builds the server and registers its collectors in reg (a fresh
// registry when nil). The proxy registers its own metrics in the same reg.
func New(cfg Config, store Store, reg *prometheus.Registry) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 10 * time.Second
	}
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	s := &Server{cfg: cfg, store: store}
	reg.MustRegister(newStoreCollector(store))
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "shardline_admin_requests_total", Help: "Admin HTTP requests by route and status code.",
	}, []string{"route", "code"})
	reg.MustRegister(requests)
	s.handler = s.routes(reg, requests)
	return s
}

// Handler returns the HTTP handler (for tests and custom servers).
func (s *Server) Handler() http.Handler { return s.handler }

// ListenAndServe listens on cfg.Addr and serves until Shutdown; it returns
// nil after a Shutdown.
func (s *Server) ListenAndServe() error {
	l, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return err
	}
	return s.Serve(l)
}

// Serve serves on l (with TLS when configured) until Shutdown.
func (s *Server) Serve(l net.Listener) error {
	if s.cfg.TLS != nil {
		cfg := s.cfg.TLS.Clone()
		if cfg.ClientAuth == tls.NoClientCert {
			cfg.ClientAuth = tls.VerifyClientCertIfGiven
		}
		if cfg.ClientCAs == nil {
			cfg.ClientCAs = cfg.RootCAs
		}
		l = tls.NewListener(l, cfg)
	}
	s.mu.Lock()
	if s.srv == nil {
		s.srv = &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	}
	srv := s.srv
	s.mu.Unlock()
	if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Shutdown stops the server gracefully, waiting for requests until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if s.srv == nil {
		s.srv = &http.Server{Handler: s.handler}
	}
	srv := s.srv
	s.mu.Unlock()
	return srv.Shutdown(ctx)
}
