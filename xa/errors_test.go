package xa

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/go-mysql-org/go-mysql/mysql"
	pkgerrors "github.com/pingcap/errors"
)

// TestIsTxnFatal: if it fails, the proxy keeps a transaction going after a
// deadlock or a lost connection (its branch is already rolled back, so a
// later COMMIT would commit only part of it), or kills one after a
// harmless lock-wait timeout.
func TestIsTxnFatal(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"deadlock", mysql.NewError(mysql.ER_LOCK_DEADLOCK, "x"), true},
		{"wrapped deadlock", fmt.Errorf("shard s0: %w", pkgerrors.Trace(mysql.NewError(1213, "x"))), true},
		{"XA state error (DDL inside XA)", mysql.NewError(1399, "x"), false},
		{"rolled back", mysql.NewError(1402, "x"), true},
		{"server lost", mysql.NewError(2013, "x"), true},
		{"bad conn", pkgerrors.Wrapf(mysql.ErrBadConn, "io"), true},
		{"eof", fmt.Errorf("read: %w", io.EOF), true},
		{"abandoned (conn closed)", fmt.Errorf("%w: %w", errAbandoned, context.DeadlineExceeded), true},
		{"lock wait timeout", mysql.NewError(mysql.ER_LOCK_WAIT_TIMEOUT, "x"), false},
		{"duplicate key", mysql.NewError(1062, "x"), false},
		{"nil", nil, false},
	}
	for _, tc := range tests {
		if got := IsTxnFatal(tc.err); got != tc.want {
			t.Errorf("%s: IsTxnFatal(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}

// TestClientErrors: if it fails, the proxy cannot tell an unknown outcome
// from a rollback (errors.Is), or sends 1105 instead of the real code
// because no *mysql.MyError is found (errors.As).
func TestClientErrors(t *testing.T) {
	backend := mysql.NewError(1062, "dup")
	tests := []struct {
		name     string
		err      error
		sentinel error
		code     uint16
	}{
		{"unknown", unknownError("g", errors.New("raft")), ErrOutcomeUnknown, 1180},
		{"aborted with backend error", abortedError(fmt.Errorf("xa: %w", backend)), ErrAborted, 1062},
		{"aborted without", abortedError(io.EOF), ErrAborted, 1402},
	}
	for _, tc := range tests {
		var me *mysql.MyError
		if !errors.Is(tc.err, tc.sentinel) || !errors.As(tc.err, &me) || me.Code != tc.code {
			t.Errorf("%s: %v: want Is %v and code %d", tc.name, tc.err, tc.sentinel, tc.code)
		}
	}
}
