// Package proxy is the MySQL side of Shardline: it accepts client
// connections (handshake and authentication through go-mysql's server
// package), runs one session per connection with its own command loop, and
// executes routing plans over pooled backend connections.
package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/shardline/shardline/router"
)

// User is an account clients log in with. The proxy keeps only hashes of
// the password: give the password (hashed at start) or its hashes
// (`shardline --hash-password` prints them) so the config holds no secret.
type User struct {
	Name     string `yaml:"name"`
	Password string `yaml:"password"`
	// PasswordHash is SHA1(SHA1(password)) as "*" + 40 hex digits (MySQL's
	// PASSWORD() format); it verifies mysql_native_password.
	PasswordHash string `yaml:"password_hash"`
	// PasswordSHA2 is SHA256(SHA256(password)) as 64 hex digits; it
	// verifies caching_sha2_password.
	PasswordSHA2 string `yaml:"password_sha2"`
}

// Config configures the MySQL listener and the sessions.
type Config struct {
	// Listen is the MySQL protocol address, e.g. 127.0.0.1:6033.
	Listen string `yaml:"listen"`
	// ServerVersion is announced in the handshake; empty (the default)
	// announces the shards' own version with "-shardline" added, e.g.
	// 5.5.5-10.11.19-MariaDB-0+deb12u1-shardline.
	ServerVersion string `yaml:"server_version"`
	// AuthMethod is mysql_native_password (default) or caching_sha2_password.
	AuthMethod string `yaml:"auth_method"`
	// Users may log in; the password is compared by the chosen auth method.
	Users []User `yaml:"users"`
	// MaxConnections bounds client connections (error 1040 beyond it).
	MaxConnections int `yaml:"max_connections"`
	// Pool configures the backend connection pools.
	Pool PoolConfig `yaml:"pool"`
	// TLSCert and TLSKey are PEM files of the certificate clients see when
	// they upgrade to TLS. Without them a self-signed certificate is made at
	// start (TLS still works; clients cannot verify it).
	TLSCert string `yaml:"tls_cert"`
	TLSKey  string `yaml:"tls_key"`
	// RequireSecureTransport refuses clients that did not upgrade to TLS
	// (error 3159), like MySQL's require_secure_transport.
	RequireSecureTransport bool `yaml:"require_secure_transport"`
	// MaxAllowedPacket bounds a client command (error 1153 and disconnect
	// beyond it), like MySQL's max_allowed_packet.
	MaxAllowedPacket int `yaml:"max_allowed_packet"`
	// MergeMaxRows bounds the groups or distinct rows a scatter merge holds in
	// memory (error 1041 beyond it); 0 means 1,000,000.
	MergeMaxRows int `yaml:"merge_max_rows"`
	// MaxPreparedStatements bounds the statements one client connection
	// may hold prepared (error 1461 beyond it, like MariaDB's
	// max_prepared_stmt_count); 0 means 16382, MariaDB's default.
	MaxPreparedStatements int `yaml:"max_prepared_statements"`
	// IdleTimeout closes a client connection idle for this long (0: never).
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	// HandshakeTimeout drops a client that does not finish the handshake in
	// time (a connection that says nothing holds no slot for long).
	HandshakeTimeout time.Duration `yaml:"handshake_timeout"`
	// TLS overrides TLSCert/TLSKey (for embedding).
	TLS *tls.Config `yaml:"-"`
	// CrossShardLockWait is set as innodb_lock_wait_timeout (whole seconds,
	// at least 1) on every branch of a transaction that spans two or more
	// shards, unless the session set that variable itself; 0 leaves the
	// servers' value. Set from the xa section of the node's config.
	CrossShardLockWait time.Duration `yaml:"-"`
}

// defaultMaxPrepared is MariaDB's default max_prepared_stmt_count.
const defaultMaxPrepared = 16382

// DefaultConfig returns a config with the defaults filled in.
func DefaultConfig() Config {
	return Config{Listen: "127.0.0.1:6033", ServerVersion: "",
		AuthMethod: mysql.AUTH_NATIVE_PASSWORD, MaxConnections: 4096, Pool: DefaultPoolConfig(),
		HandshakeTimeout: 10 * time.Second, MaxAllowedPacket: 64 << 20, MaxPreparedStatements: defaultMaxPrepared}
}

// Validate reports the first invalid field.
func (c *Config) Validate() error {
	switch {
	case c.Listen == "":
		return errors.New("proxy.listen: must be set")
	case c.AuthMethod != mysql.AUTH_NATIVE_PASSWORD && c.AuthMethod != mysql.AUTH_CACHING_SHA2_PASSWORD:
		return fmt.Errorf("proxy.auth_method: %q is not mysql_native_password or caching_sha2_password", c.AuthMethod)
	case len(c.Users) == 0:
		return errors.New("proxy.users: at least one user is needed")
	}
	return nil
}

// MapSource hands out the current shard map snapshot. It must be cheap and
// lock-free: it is called for every statement.
type MapSource interface {
	ShardMap() *router.ShardMap
}

// Planner turns a statement into a plan. Implementations are shared by all
// sessions and safe for concurrent use.
type Planner interface {
	Plan(sql string, args []any, m *router.ShardMap, s router.Session) (router.Plan, error)
	Prepare(sql string, m *router.ShardMap, s router.Session) (*router.Prepared, error)
}

// Deps are the collaborators of a Server.
type Deps struct {
	Map       MapSource
	Planner   Planner
	Txns      TxnCoordinator // nil: transactions spanning shards are refused
	Logger    *slog.Logger
	Metrics   *Metrics       // nil: no metrics
	Sequences SequenceSource // nil: INSERTs that need global sequence values are refused
}

// Server accepts MySQL clients.
type Server struct {
	cfg   Config
	deps  Deps
	log   *slog.Logger
	tls   *tls.Config
	creds *credentials
	pools *pools
	// collations caches the collations of physical table columns for merges.
	collations collationCache

	ln       net.Listener
	conns    atomic.Int64
	sessions sync.Map // id → *Session
	wg       sync.WaitGroup
	closing  atomic.Bool
	panics   atomic.Int64
	// ddlInDoubtWait bounds how long DDL waits for in-doubt branches.
	ddlInDoubtWait time.Duration
	// now is the clock of statement times (tests fix it).
	now func() time.Time
	// backend holds what the shards' server is (facts), once known.
	backend atomic.Pointer[backendFacts]
	// baseCtx is the parent of every statement's context; Close cancels it.
	baseCtx context.Context
	stop    context.CancelFunc
}

// NewServer builds a server; Serve starts accepting.
func NewServer(cfg Config, deps Deps) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	if deps.Metrics == nil {
		deps.Metrics = NewMetrics(nil)
	}
	tlsConf, err := serverTLS(&cfg)
	if err != nil {
		return nil, err
	}
	creds, err := newCredentials(cfg.Users)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, deps: deps, log: deps.Logger, tls: tlsConf, creds: creds, pools: newPools(cfg.Pool),
		ddlInDoubtWait: defaultDDLInDoubtWait}
	s.baseCtx, s.stop = context.WithCancel(context.Background())
	s.now = time.Now
	s.pools.update(deps.Map.ShardMap().Shards)
	return s, nil
}

// ShardMapChanged tells the server that the map changed: pools are opened
// for new shards and closed for removed ones.
func (s *Server) ShardMapChanged(m *router.ShardMap) { s.pools.update(m.Shards) }

// Listen binds the configured address.
func (s *Server) Listen() error {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return err
	}
	s.ln = ln
	return nil
}

// Addr is the bound address (after Listen).
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Serve accepts clients until Close.
func (s *Server) Serve() error {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if s.closing.Load() {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			return err
		}
		s.wg.Add(1)
		go s.handle(c)
	}
}

// Close stops accepting, closes client connections and the pools.
func (s *Server) Close() error {
	s.closing.Store(true)
	s.stop()
	var err error
	if s.ln != nil {
		err = s.ln.Close()
	}
	s.sessions.Range(func(_, v any) bool { v.(*Session).close(); return true })
	s.wg.Wait()
	s.pools.closeAll()
	return err
}

func (s *Server) handle(c net.Conn) {
	defer s.wg.Done()
	defer func() {
		// A bug in one session must not take down every other session.
		if r := recover(); r != nil {
			s.panics.Add(1)
			s.log.Error("session panicked", "panic", r, "stack", string(debug.Stack()))
			_ = c.Close()
		}
	}()
	n := s.conns.Add(1)
	defer s.conns.Add(-1)
	s.deps.Metrics.connections.Inc()
	defer s.deps.Metrics.connections.Dec()
	if s.cfg.MaxConnections > 0 && n > int64(s.cfg.MaxConnections) {
		refuse(c, newError(mysql.ER_CON_COUNT_ERROR, "Too many connections (max_connections=%d)", s.cfg.MaxConnections))
		return
	}
	if s.cfg.HandshakeTimeout > 0 {
		_ = c.SetDeadline(time.Now().Add(s.cfg.HandshakeTimeout))
	}
	bc := newBufConn(c)
	sess := newSession(s, bc)
	conn, err := s.handshake(bc, sess.checkSchema)
	if err != nil {
		_ = bc.Flush()
		s.log.Info("handshake failed", "remote", c.RemoteAddr().String(), "err", err) // never the password: the client sends none
		_ = c.Close()
		return
	}
	_ = c.SetDeadline(time.Time{})
	sess.attach(conn)
	s.sessions.Store(conn.ConnectionID(), sess)
	defer s.sessions.Delete(conn.ConnectionID())
	if s.cfg.RequireSecureTransport && !conn.tls {
		sess.refuseInsecure()
		return
	}
	sess.serve()
}

// refuse answers a connection that is not admitted with an error packet in
// place of the handshake, as MySQL does for error 1040.
func refuse(c net.Conn, e *mysql.MyError) {
	b := appendErr(make([]byte, 4, 64), e)
	n := len(b) - 4
	b[0], b[1], b[2], b[3] = byte(n), byte(n>>8), byte(n>>16), 0
	_ = c.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = c.Write(b)
	_ = c.Close()
}

// Panics counts sessions that ended in a recovered panic (a bug).
func (s *Server) Panics() int64 { return s.panics.Load() }

// Connections is the number of client connections being served.
func (s *Server) Connections() int64 { return s.conns.Load() }

// SetDDLInDoubtWait changes how long DDL waits for in-doubt branches (tests).
func (s *Server) SetDDLInDoubtWait(d time.Duration) { s.ddlInDoubtWait = d }

// SetMergeMaxRows changes the merge memory bound (tests).
func (s *Server) SetMergeMaxRows(n int) { s.cfg.MergeMaxRows = n }
