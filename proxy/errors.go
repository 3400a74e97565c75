package proxy

import (
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/go-mysql-org/go-mysql/mysql"
)

// Client-visible error codes the proxy makes itself. Backend errors pass
// through with their own code and SQLSTATE. Server-range codes on purpose:
// libmariadb reports an ERR packet carrying a client-range code (2003, 2013)
// as "Received malformed packet".
const (
	// errShardUnavailable is ER_CONNECT_TO_FOREIGN_DATA_SOURCE: a backend
	// could not be reached.
	errShardUnavailable = 1429
	// errShardLost is ER_NET_READ_ERROR (SQLSTATE 08S01, communication link
	// failure): a backend connection broke mid-statement.
	errShardLost = 1158
	// errMaxExecutionTime is MySQL's ER_QUERY_TIMEOUT, answered when
	// max_execution_time, enforced on MariaDB shards as max_statement_time
	// (ER_STATEMENT_TIMEOUT, 1969), interrupts a statement.
	errMaxExecutionTime        = 3024
	errMariaDBStatementTimeout = 1969
)

// toMyError converts any error to the one *mysql.MyError the client sees. It
// is called once, at the wire boundary.
func toMyError(err error) *mysql.MyError {
	var me *mysql.MyError
	if errors.As(err, &me) {
		return me
	}
	return &mysql.MyError{Code: mysql.ER_UNKNOWN_ERROR, State: "HY000", Message: err.Error()}
}

func newError(code uint16, format string, args ...any) *mysql.MyError {
	state, ok := mysql.MySQLState[code]
	if !ok {
		state = "HY000"
	}
	return &mysql.MyError{Code: code, State: state, Message: fmt.Sprintf(format, args...)}
}

// unavailable says that shard could not be reached.
func unavailable(shard string, err error) *mysql.MyError {
	return &mysql.MyError{Code: errShardUnavailable, State: "HY000",
		Message: fmt.Sprintf("Unable to connect to shard %s: %v", shard, err)}
}

// lost says that the connection to shard broke during a statement.
func lost(shard string, err error) *mysql.MyError {
	return &mysql.MyError{Code: errShardLost, State: "08S01",
		Message: fmt.Sprintf("Lost connection to shard %s during query: %v", shard, err)}
}

// isConnError reports whether err means the backend connection is unusable
// (as opposed to an error the server answered with).
func isConnError(err error) bool {
	if err == nil {
		return false
	}
	var me *mysql.MyError
	if errors.As(err, &me) {
		return me.Code == errShardLost || me.Code == errShardUnavailable
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, mysql.ErrBadConn) || errors.Is(err, net.ErrClosed)
}

func asMyError(err error, target **mysql.MyError) bool { return errors.As(err, target) }
