package proxy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/shardline/shardline/router"
)

// PoolConfig bounds and times the backend connection pools.
type PoolConfig struct {
	// MaxConns is the default size of a shard's pool when the map gives none.
	MaxConns int `yaml:"max_conns"`
	// IdleTimeout closes connections unused for this long.
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	// ConnectTimeout bounds dialing and the handshake with a shard.
	ConnectTimeout time.Duration `yaml:"connect_timeout"`
	// CheckAfter pings a pooled connection idle for longer than this before
	// handing it out, so a restarted backend costs no failed statement.
	CheckAfter time.Duration `yaml:"check_after"`
	// ReadTimeout bounds each read from a shard (0: none); a shard that stops
	// answering (paused, partitioned) then fails the statement instead of
	// hanging it. Keep it above the longest legitimate wait for one packet.
	ReadTimeout time.Duration `yaml:"read_timeout"`
	// AcquireTimeout is how long a statement waits for a free connection.
	AcquireTimeout time.Duration `yaml:"acquire_timeout"`
}

// DefaultPoolConfig returns the defaults.
func DefaultPoolConfig() PoolConfig {
	return PoolConfig{MaxConns: 64, IdleTimeout: 5 * time.Minute, ConnectTimeout: 3 * time.Second,
		CheckAfter: time.Second, AcquireTimeout: 10 * time.Second}
}

// pool is the bounded set of connections to one shard. Idle connections sit
// in a channel (LIFO would be nicer for warm caches; a channel keeps it
// lock-free); slots bound the total.
type pool struct {
	shard string
	spec  router.Shard
	cfg   PoolConfig
	idle  chan *backendConn
	slots chan struct{}
	open  atomic.Int64
	// closed is set when the shard leaves the map; returned conns are closed.
	closed atomic.Bool
}

func newPool(name string, spec router.Shard, cfg PoolConfig) *pool {
	n := spec.MaxConns
	if n <= 0 {
		n = cfg.MaxConns
	}
	return &pool{shard: name, spec: spec, cfg: cfg,
		idle: make(chan *backendConn, n), slots: make(chan struct{}, n)}
}

// get hands out a connection: an idle one (checked when it idled long) or a
// new one, waiting for a free slot up to AcquireTimeout.
func (p *pool) get(ctx context.Context) (*backendConn, error) {
	if p.closed.Load() {
		return nil, unavailable(p.shard, fmt.Errorf("shard was removed from the map"))
	}
	select {
	case p.slots <- struct{}{}:
	default:
		t := time.NewTimer(p.cfg.AcquireTimeout)
		defer t.Stop()
		select {
		case p.slots <- struct{}{}:
		case <-t.C:
			return nil, newError(mysql.ER_CON_COUNT_ERROR,
				"no free connection to shard %s within %v (pool size %d)", p.shard, p.cfg.AcquireTimeout, cap(p.slots))
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	for {
		select {
		case bc := <-p.idle:
			idle := time.Since(bc.lastUsed)
			if idle > p.cfg.IdleTimeout {
				p.destroy(bc)
				continue
			}
			if idle > p.cfg.CheckAfter {
				if err := bc.Ping(); err != nil {
					p.destroy(bc)
					p.drainIdle() // the server probably restarted: the rest is stale too
					continue
				}
			}
			return bc, nil
		default:
			bc, err := p.dial(ctx)
			if err != nil {
				<-p.slots
				return nil, err
			}
			return bc, nil
		}
	}
}

func (p *pool) dial(ctx context.Context) (*backendConn, error) {
	d := net.Dialer{Timeout: p.cfg.ConnectTimeout, KeepAlive: 30 * time.Second}
	tlsConf, err := backendTLS(&p.spec)
	if err != nil {
		return nil, unavailable(p.shard, err)
	}
	c, err := client.ConnectWithDialer(ctx, network(p.spec.Addr), p.spec.Addr, p.spec.User, p.spec.Password, "", d.DialContext,
		func(c *client.Conn) error {
			c.ReadTimeout = p.cfg.ReadTimeout
			if tlsConf != nil {
				c.SetTLSConfig(tlsConf)
			}
			return nil
		})
	if err != nil {
		var me *mysql.MyError
		if asMyError(err, &me) {
			return nil, unavailable(p.shard, me)
		}
		return nil, unavailable(p.shard, err)
	}
	p.open.Add(1)
	bc := &backendConn{Conn: c, pool: p, lastUsed: time.Now(),
		queryAttrs: strings.Contains(c.CapabilityString(), "CLIENT_QUERY_ATTRIBUTES"),
		mariadb:    strings.Contains(c.GetServerVersion(), "MariaDB")}
	// Autocommit on, whatever the server default: the proxy opens transactions
	// explicitly.
	if _, err := bc.exec("SET autocommit = 1"); err != nil {
		p.destroy(bc)
		return nil, unavailable(p.shard, err)
	}
	return bc, nil
}

// backendTLS returns the TLS config for a shard (nil: plain).
func backendTLS(sh *router.Shard) (*tls.Config, error) {
	switch sh.TLS {
	case "":
		return nil, nil
	case router.TLSSkipVerify:
		return &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}, nil
	}
	conf := &tls.Config{MinVersion: tls.VersionTLS12}
	if host, _, err := net.SplitHostPort(sh.Addr); err == nil {
		conf.ServerName = host
	}
	if sh.TLSCA != "" {
		pem, err := os.ReadFile(sh.TLSCA)
		if err != nil {
			return nil, fmt.Errorf("tls_ca: %w", err)
		}
		conf.RootCAs = x509.NewCertPool()
		if !conf.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls_ca %s: no PEM certificate", sh.TLSCA)
		}
	}
	return conf, nil
}

// network is "unix" for a socket path (a shard on the same host: cheaper
// than loopback TCP), else "tcp".
func network(addr string) string {
	if strings.HasPrefix(addr, "/") {
		return "unix"
	}
	return "tcp"
}

// put returns a connection; a broken one, or one still inside a transaction,
// is closed instead.
func (p *pool) put(bc *backendConn) {
	bc.owner.Store(nil)
	if bc.broken || bc.inXA || bc.IsInTransaction() || p.closed.Load() {
		p.destroy(bc)
		<-p.slots
		return
	}
	bc.lastUsed = time.Now()
	select {
	case p.idle <- bc:
	default:
		p.destroy(bc)
	}
	<-p.slots
}

func (p *pool) destroy(bc *backendConn) {
	_ = bc.Conn.Close()
	p.open.Add(-1)
}

func (p *pool) drainIdle() {
	for {
		select {
		case bc := <-p.idle:
			p.destroy(bc)
		default:
			return
		}
	}
}

func (p *pool) close() {
	p.closed.Store(true)
	p.drainIdle()
}

// pools maps shard names to pools. It is replaced as a whole when the shard
// map changes (copy on write), so lookups take no lock.
type pools struct {
	cfg PoolConfig
	mu  sync.Mutex // serialises updates only
	m   atomic.Pointer[map[string]*pool]
}

func newPools(cfg PoolConfig) *pools {
	ps := &pools{cfg: cfg}
	empty := map[string]*pool{}
	ps.m.Store(&empty)
	return ps
}

func (ps *pools) get(shard string) (*pool, error) {
	if p, ok := (*ps.m.Load())[shard]; ok {
		return p, nil
	}
	return nil, unavailable(shard, fmt.Errorf("no such shard in the shard map"))
}

// update opens pools for new or changed shards and closes pools of shards
// that left the map; statements holding a connection of a closed pool finish
// on it, and the connection is closed when returned.
func (ps *pools) update(shards map[string]*router.Shard) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	old := *ps.m.Load()
	next := make(map[string]*pool, len(shards))
	for name, spec := range shards {
		if p, ok := old[name]; ok && p.spec == *spec {
			next[name] = p
			continue
		}
		next[name] = newPool(name, *spec, ps.cfg)
	}
	ps.m.Store(&next)
	for name, p := range old {
		if next[name] != p {
			p.close()
		}
	}
}

func (ps *pools) closeAll() {
	ps.update(nil)
}
