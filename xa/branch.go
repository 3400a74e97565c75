package xa

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"
)

// branchState is where one shard's branch stands, as far as the coordinator knows.
type branchState int

const (
	stActive    branchState = iota // XA START done
	stPreparing                    // XA PREPARE sent: the branch may be prepared
	stPrepared                     // XA PREPARE succeeded
	stFinished                     // committed or rolled back
	stAbandoned                    // connection closed; prepared or not, the server or the resolver owns it
)

// branch is one shard's part of a Txn.
type branch struct {
	shard string
	xid   string // XID.SQL()
	conn  Conn
	wrote bool
	state branchState
	lock  string // ownerLock name
	// locked: the connection holds the owner lock and the short wait_timeout.
	locked bool
	// dropped: the connection was closed (Txn.Abandoned).
	dropped bool
	// prepareSent: XA PREPARE was sent and did not fail with a server
	// error, so the branch may be prepared, whatever state says.
	prepareSent bool
}

// maybePrepared reports whether the branch may be in the PREPARED state, so
// that rolling it back needs a recorded ABORT first (xa/DESIGN.md, fact 13).
func (b *branch) maybePrepared() bool { return b.prepareSent && b.state != stFinished }

// errAbandoned marks a statement given up because its context ended; the
// connection was closed under it.
var errAbandoned = errors.New("xa: statement abandoned, connection closed")

// exec runs q on the branch connection. When ctx ends first it closes the
// connection (if it can) so that the blocked Execute returns, and abandons
// the branch. A lost connection abandons the branch too.
func (b *branch) exec(ctx context.Context, q string) error {
	err := execCtx(ctx, b.conn, q)
	if err != nil && (errors.Is(err, errAbandoned) || IsConnLost(err)) {
		if b.state == stFinished {
			b.dropConn() // the branch is done; only the connection is lost
		} else {
			b.abandon()
		}
	}
	if err != nil {
		return fmt.Errorf("xa: %s on shard %s: %w", verb(q), b.shard, err)
	}
	return nil
}

// abandon closes the connection and forgets the branch: a branch that was
// not prepared is rolled back by the server on disconnect, a prepared one is
// detached and left to the resolver.
func (b *branch) abandon() {
	if b.state == stAbandoned {
		return
	}
	b.state = stAbandoned
	b.dropConn()
}

// dropConn closes the connection; the proxy must not reuse it.
func (b *branch) dropConn() {
	if !b.dropped {
		b.dropped = true
		closeConn(b.conn)
	}
}

// closeConn closes c when it can be closed.
func closeConn(c Conn) {
	if cl, ok := c.(io.Closer); ok {
		_ = cl.Close()
	}
}

// execCtx bridges the context-unaware Conn to ctx.
func execCtx(ctx context.Context, c Conn, q string) error {
	if ctx.Done() == nil {
		_, err := c.Execute(q)
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", errAbandoned, err)
	}
	return withCtx(ctx, c, func() error { _, err := c.Execute(q); return err })
}

// withCtx runs f (statements on c) in a goroutine and gives up when ctx
// ends: it interrupts c, waits (briefly) for f to return so that nobody
// uses c concurrently, and closes c.
func withCtx(ctx context.Context, c Conn, f func() error) error {
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	interrupt(c)
	t := time.NewTimer(time.Second)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
	closeConn(c)
	return fmt.Errorf("%w: %w", errAbandoned, ctx.Err())
}

// deadliner is a connection whose socket deadline can be set while a
// statement runs: a *client.Conn (through its net.Conn) and any pooled
// connection that forwards SetDeadline.
type deadliner interface{ SetDeadline(time.Time) error }

// interrupt makes a blocked Execute on c return: a deadline in the past on
// the socket (safe while the statement runs), else Close (which, for a
// go-mysql connection, races with the running statement).
func interrupt(c Conn) {
	if d, ok := c.(deadliner); ok {
		_ = d.SetDeadline(time.Unix(1, 0))
		return
	}
	closeConn(c)
}

// verb names an XA statement for error messages without the XID bytes.
func verb(q string) string {
	for i, n := 0, 0; i < len(q); i++ {
		if q[i] == ' ' {
			if n++; n == 2 {
				return q[:i]
			}
		}
	}
	return q
}

// fanOut runs f on every branch in parallel and returns the errors by index.
func fanOut(bs []*branch, f func(*branch) error) []error {
	errs := make([]error, len(bs))
	if len(bs) == 1 {
		errs[0] = f(bs[0])
		return errs
	}
	var wg sync.WaitGroup
	for i, b := range bs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f(b)
		}()
	}
	wg.Wait()
	return errs
}

// SQL text of the XA statements for one branch.
func xaStart(x string) string          { return "XA START " + x }
func xaEnd(x string) string            { return "XA END " + x }
func xaPrepare(x string) string        { return "XA PREPARE " + x }
func xaCommit(x string) string         { return "XA COMMIT " + x }
func xaCommitOnePhase(x string) string { return "XA COMMIT " + x + " ONE PHASE" }
func xaRollback(x string) string       { return "XA ROLLBACK " + x }

// ownerLock returns the name of the user-level lock the owner connection
// of branch x holds while the branch may be prepared. MariaDB releases it
// only at the end of the owner's disconnect clean-up, after the branch is
// detached, so "IS_USED_LOCK is NULL" tells the resolver that finishing
// the branch from another connection is safe (see DESIGN.md, "Owner
// disconnect race"). Names are at most 64 characters: a hash of the XID.
func ownerLock(x XID) string {
	sum := sha256.Sum256([]byte(x.SQL()))
	return "shlxa:" + hex.EncodeToString(sum[:16])
}

// lockAndShortWait takes the owner lock and sets the short wait_timeout in
// one round trip, while the branch is still ACTIVE.
func lockAndShortWait(lock string, secs int64) string {
	return "SET @shl_owner=GET_LOCK('" + lock + "',0), SESSION wait_timeout=" + strconv.FormatInt(secs, 10)
}

// unlockAndResetWait releases the owner lock and restores wait_timeout once
// the branch is finished.
func unlockAndResetWait(lock string) string {
	return "SET @shl_owner=RELEASE_LOCK('" + lock + "'), SESSION wait_timeout=DEFAULT"
}

// release sends unlockAndResetWait when the branch holds its owner lock.
func (b *branch) release(ctx context.Context) {
	if b.locked && b.state != stAbandoned {
		if b.exec(ctx, unlockAndResetWait(b.lock)) == nil {
			b.locked = false
		}
	}
}
