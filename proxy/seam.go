package proxy

import (
	"context"

	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/shardline/shardline/router"
)

// backends is the executor's only way to the shards: the execution seam.
// The live implementation (liveBackends) drives pooled backend connections
// and the transaction's branches; the executor's unit tests use a recording
// fake. Every call comes from the session's goroutine.
type backends interface {
	// forward runs one target and streams its response to the client as
	// the shard sends it. write marks the shard's branch as written when a
	// transaction is open.
	forward(ctx context.Context, t router.Target, c *call, write bool) error
	// read runs targets (in the open transaction, if any) and returns one
	// stream per target, in order. A target whose response is not a result
	// set yields a stream without fields and its affected rows.
	read(ctx context.Context, targets []router.Target, c *call) ([]router.RowStream, error)
	// write runs write targets in the open transaction: shards in parallel,
	// the targets of one shard in order. It returns the summed affected
	// rows, the smallest insert id and the warnings of every target.
	write(ctx context.Context, targets []router.Target, c *call) ([]writeResult, error)
	// ddl runs schema changes in order, each on a pooled connection outside
	// any transaction, after checking that no XA branch is in doubt on
	// their shards; it stops at the first error.
	ddl(ctx context.Context, targets []router.Target) (writeResult, error)

	// begin opens a transaction: branches start on each shard at first
	// touch, after running oneShot (SET TRANSACTION ...) there.
	begin(oneShot []string)
	// inTxn reports an open transaction; touched reports that it has
	// started a branch on some shard.
	inTxn() bool
	touched() bool
	// commit and rollback end the open transaction (no-op without one).
	commit(ctx context.Context) error
	rollback(ctx context.Context) error
	// savepoint runs SAVEPOINT / ROLLBACK TO / RELEASE in the open
	// transaction.
	savepoint(ctx context.Context, sql string) error

	// apply brings a backend connection to st, so that the server judges
	// the values of a SET (and translates them), then reads the session
	// variables named in readBack (e.g. sql_mode) on that connection.
	apply(ctx context.Context, st *sessionState, readBack []string) ([]varValue, error)
	// nextIDs takes n consecutive values of a global sequence; forgetIDs
	// drops the node's cached values of it.
	nextIDs(ctx context.Context, sequence string, n int) (uint64, error)
	forgetIDs(sequence string)
	// mergeInfo returns what a merge needs to compare the columns of a
	// result of shard as the server does: collation ids and ENUM value
	// lists by column.
	mergeInfo(ctx context.Context, shard string, fields []*mysql.Field) (map[int]uint16, map[int][]string)
}

// varValue is a value read back from a server: text, or NULL.
type varValue struct {
	text string
	null bool
}

// writeResult is what a write reports.
type writeResult struct {
	affected, insertID uint64
	warnings           uint16
}

// call is the client's statement being executed: a text query (COM_QUERY,
// raw is its payload) or an execution of a prepared statement (args set).
type call struct {
	sql  string
	raw  []byte
	args *stmtArgs
}

func (c *call) binary() bool { return c.args != nil }
