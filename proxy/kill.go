package proxy

import (
	"context"
	"strconv"
	"sync"

	"github.com/go-mysql-org/go-mysql/mysql"
)

// killState is what KILL needs of a session; it is read from other sessions'
// goroutines.
type killState struct {
	mu     sync.Mutex
	active []*backendConn // connections the session took, possibly returned since
	// cancel cancels the running statement's context (nil between
	// statements).
	cancel context.CancelFunc
}

// statementContext returns the context of the next statement, a child of
// parent that KILL cancels, and the function that ends it.
func (k *killState) statementContext(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancel(parent)
	k.mu.Lock()
	k.cancel = cancel
	k.mu.Unlock()
	return ctx, func() {
		k.mu.Lock()
		k.cancel = nil
		k.mu.Unlock()
		cancel()
	}
}

// cancelStatement cancels the running statement's context, if any: waits
// for a pool slot, an XA decision or a sequence block end at once.
func (k *killState) cancelStatement() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.cancel != nil {
		k.cancel()
	}
}

// track records that the session took bc from a pool.
func (s *Session) track(bc *backendConn) {
	bc.owner.Store(s)
	s.killer.mu.Lock()
	defer s.killer.mu.Unlock()
	if len(s.killer.active) >= 8 {
		live := s.killer.active[:0]
		for _, c := range s.killer.active {
			if c.owner.Load() == s {
				live = append(live, c)
			}
		}
		s.killer.active = live
	}
	s.killer.active = append(s.killer.active, bc)
}

// owned returns the backend connections the session holds right now.
func (s *Session) owned() []*backendConn {
	s.killer.mu.Lock()
	defer s.killer.mu.Unlock()
	var out []*backendConn
	for _, c := range s.killer.active {
		if c.owner.Load() == s {
			out = append(out, c)
		}
	}
	return out
}

// kill implements KILL [CONNECTION | QUERY] id for the proxy's own
// connection ids (the id a client got in its handshake, what the mysql CLI
// sends on Ctrl-C). A user may kill only its own sessions. KILL QUERY
// interrupts the statement on every backend thread the session uses (the
// client then gets the backend's 1317); KILL CONNECTION also closes the
// client connection, and the session rolls back its transaction.
func (s *Session) kill(id uint64, queryOnly bool) error {
	v, ok := s.srv.sessions.Load(uint32(id))
	if !ok {
		return newError(mysql.ER_NO_SUCH_THREAD, "Unknown thread id: %d", id)
	}
	target := v.(*Session)
	if target.conn.GetUser() != s.conn.GetUser() {
		return newError(mysql.ER_KILL_DENIED_ERROR, "You are not owner of thread %d", id)
	}
	target.interrupt()
	if !queryOnly {
		target.close()
	}
	if target == s && !queryOnly {
		return nil // the connection is gone; nothing to answer
	}
	return s.writeOK(0, 0, 0)
}

// interrupt sends KILL QUERY for every backend thread the session holds,
// over separate pooled connections.
func (s *Session) interrupt() {
	s.killer.cancelStatement()
	for _, bc := range s.owned() {
		p := bc.pool
		side, err := p.get(s.srv.baseCtx)
		if err != nil {
			continue
		}
		if bc.owner.Load() == s {
			_, _ = side.exec("KILL QUERY " + strconv.FormatUint(uint64(bc.GetConnectionID()), 10))
		}
		p.put(side)
	}
}
