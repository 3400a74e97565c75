package xa

import (
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/go-mysql-org/go-mysql/mysql"
)

// Sentinel errors; test them with errors.Is. Errors that reach a MySQL client
// also wrap a *mysql.MyError (find it with errors.As).
var (
	// ErrOutcomeUnknown: the commit decision could not be settled; the
	// transaction may or may not commit, the resolver will finish it. Wraps
	// a 1180 ER_ERROR_DURING_COMMIT *mysql.MyError.
	ErrOutcomeUnknown = errors.New("xa: transaction outcome unknown")
	// ErrAborted: the transaction was rolled back although the client asked
	// to commit (a branch failed to prepare, or the resolver recorded ABORT
	// first). Wraps the failing branch's *mysql.MyError, or a 1402
	// ER_XA_RBROLLBACK one when there is none.
	ErrAborted = errors.New("xa: transaction rolled back")
	// ErrTxnDone: the Txn was already committed or rolled back.
	ErrTxnDone = errors.New("xa: transaction already finished")
	// ErrConnMismatch: a shard was enlisted twice with different connections.
	ErrConnMismatch = errors.New("xa: shard already enlisted with another connection")
	// ErrFailpoint marks an error that came from Config.Failpoint.
	ErrFailpoint = errors.New("xa: failpoint")
)

// MariaDB error codes the coordinator and the resolver act on (xa/DESIGN.md, facts 2, 6 and 7).
const (
	codeXANota     = mysql.ER_XAER_NOTA   // 1397: unknown XID, or owner still connected
	codeXAInval    = mysql.ER_XAER_INVAL  // 1398: e.g. ONE PHASE on a prepared branch
	codeXARmfail   = mysql.ER_XAER_RMFAIL // 1399: wrong state, e.g. rollback-only
	codeXARollback = 1402                 // ER_XA_RBROLLBACK: branch was rolled back
	codeXADeadlock = 1614                 // ER_XA_RBDEADLOCK (MySQL)
	codeServerGone = 2006                 // CR_SERVER_GONE_ERROR
	codeServerLost = 2013                 // CR_SERVER_LOST
)

// ErrorCode returns the MySQL error code inside err, or 0 when err carries none.
func ErrorCode(err error) uint16 {
	var me *mysql.MyError
	if errors.As(err, &me) {
		return me.Code
	}
	return 0
}

// IsConnLost reports whether err means the backend connection is gone: the
// server or the network dropped it, so the session state (and any branch that
// was not prepared) is lost.
func IsConnLost(err error) bool {
	if err == nil {
		return false
	}
	switch ErrorCode(err) {
	case codeServerGone, codeServerLost:
		return true
	case 0:
	default:
		return false
	}
	var ne net.Error
	return errors.Is(err, errAbandoned) || errors.Is(err, mysql.ErrBadConn) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.As(err, &ne)
}

// IsTxnFatal reports whether a statement error inside a transaction forces
// the proxy to roll the whole transaction back on every shard: a deadlock
// (1213; the branch is rollback-only afterwards, xa/DESIGN.md, fact 7), a branch
// already rolled back (1402/1614), or a lost backend connection. A
// lock-wait timeout (1205) and ordinary statement errors (duplicate key,
// syntax) undo only the statement, and the transaction goes on. So does
// 1399 (XAER_RMFAIL): MariaDB also returns it for statements an XA branch
// refuses (DDL, BEGIN, SET autocommit), which leave the branch intact; a
// branch that is really rollback-only fails again at COMMIT (XA END),
// which then rolls everything back.
func IsTxnFatal(err error) bool {
	switch ErrorCode(err) {
	case mysql.ER_LOCK_DEADLOCK, codeXARollback, codeXADeadlock:
		return true
	}
	return IsConnLost(err)
}

// clientError returns a *mysql.MyError for err: err's own when it has one,
// else one with code and msg.
func clientError(err error, code uint16, msg string) *mysql.MyError {
	var me *mysql.MyError
	if errors.As(err, &me) {
		return me
	}
	return mysql.NewError(code, msg)
}

// wrapped joins a sentinel and the *mysql.MyError a client should see, so
// that errors.Is(err, sentinel) and errors.As(err, &myErr) both work.
type wrapped struct {
	sentinel error
	my       *mysql.MyError
	cause    error
}

func (w *wrapped) Error() string {
	if w.cause != nil && w.cause != error(w.my) {
		return w.my.Error() + " (" + w.cause.Error() + ")"
	}
	return w.my.Error()
}

func (w *wrapped) Unwrap() []error {
	errs := []error{w.sentinel, w.my}
	if w.cause != nil {
		errs = append(errs, w.cause)
	}
	return errs
}
