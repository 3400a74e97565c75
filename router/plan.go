package router

import "github.com/go-mysql-org/go-mysql/mysql"

// A Plan is what the proxy executes for one statement: a small tree of the
// node types below, built by the planner without I/O. The set of node types
// is closed (planNode is unexported); the proxy's executor has one case per
// type.
//
// Plans hold no per-execution state and no connections, and nobody mutates
// one after Plan returns it: a plan may be shared by sessions.
type Plan interface {
	planNode()
}

// Route runs one physical statement on one shard; its response goes to the
// client as the shard sends it.
type Route struct {
	Target Target
	// Write reports that the statement may change rows: inside a
	// transaction the shard's branch is marked written.
	Write bool
}

// Scatter runs reads on several targets and merges their rows with Merge
// (never nil). It also serves a single target whose result the proxy must
// re-encode or rename.
type Scatter struct {
	Targets []Target
	Merge   *MergeSpec
	// Rename, when set, shows the logical table name instead of the physical
	// one in the result (SHOW INDEX / SHOW CREATE TABLE of a sharded table):
	// every cell equal to Rename.Physical becomes Rename.Logical, and a cell
	// starting with "CREATE TABLE `Physical`" starts with "CREATE TABLE
	// `Logical`" instead. Names are quoted as MySQL prints them.
	Rename *TableRename
}

// MultiWrite runs a write on several targets atomically: inside the
// session's transaction, or in a transaction of its own (two-phase commit
// when the targets span shards). The client sees the sum of the targets'
// affected rows; for Broadcast writes (every target holds a copy of the same
// rows) it sees one copy's count.
type MultiWrite struct {
	Targets   []Target
	Broadcast bool
}

// DDL runs a schema change on its targets in order, after committing the
// session's open transaction (DDL commits implicitly on MySQL). It is never
// atomic across targets: the first error stops it and names the shards
// where it already ran.
type DDL struct {
	Targets []Target
}

// Generate is a step that needs Count consecutive values of the global
// sequence Sequence (an INSERT with rows that take generated ids). The proxy
// takes the values and calls Then, which plans the rest of the statement
// with them; Then does no I/O.
type Generate struct {
	Sequence string
	Count    int
	Then     func(ids []uint64) (Plan, error)
}

// SequencedInsert is an INSERT into a table whose auto_increment column
// comes from a global sequence. The proxy runs Input (a Route or a
// MultiWrite) and answers with InsertID, not with the insert ids the
// backends report: the first generated value (Generated set; it becomes the
// session's LAST_INSERT_ID()), else the last explicit one. With InsertID 0
// the client sees the backends' answer and LAST_INSERT_ID() stays.
type SequencedInsert struct {
	Input     Plan
	InsertID  uint64
	Generated bool
}

// TxnOp is a transaction statement.
type TxnOp uint8

// Transaction statements.
const (
	TxnBegin     TxnOp = iota + 1 // BEGIN / START TRANSACTION
	TxnCommit                     // COMMIT
	TxnRollback                   // ROLLBACK of the whole transaction
	TxnSavepoint                  // SAVEPOINT, ROLLBACK TO, RELEASE SAVEPOINT: SQL runs on the branches
)

// Txn is a transaction statement the proxy carries out itself.
type Txn struct {
	Op  TxnOp
	SQL string
	// ReadOnly reports START TRANSACTION READ ONLY: every branch starts
	// read-only, so the shards refuse writes (1792) as one server would.
	ReadOnly bool
}

// Set is a SET statement: the proxy keeps the assignments as session state.
// SQL is the statement as the client wrote it (SET TRANSACTION ... for the
// next transaction is replayed as written).
type Set struct {
	Vars []SetVar
	SQL  string
}

// Use changes the session's database.
type Use struct {
	DB string
}

// Static is a result made by the proxy (SHOW DATABASES, EXPLAIN
// FORMAT=SHARDLINE ...).
type Static struct {
	Result *StaticResult
}

// LastInsertID is SELECT LAST_INSERT_ID() (@@last_insert_id, @@identity):
// one row, every column holding the session's last generated id.
type LastInsertID struct {
	Columns []string
}

// Kill is KILL [CONNECTION | QUERY] id of one of the proxy's own sessions.
type Kill struct {
	ID    uint64
	Query bool
}

func (*Route) planNode()           {}
func (*Scatter) planNode()         {}
func (*MultiWrite) planNode()      {}
func (*DDL) planNode()             {}
func (*Generate) planNode()        {}
func (*SequencedInsert) planNode() {}
func (*Txn) planNode()             {}
func (*Set) planNode()             {}
func (*Use) planNode()             {}
func (*Static) planNode()          {}
func (*LastInsertID) planNode()    {}
func (*Kill) planNode()            {}

// TableRename is a physical -> logical table name rename of a result.
type TableRename struct {
	Physical string
	Logical  string
}

// Target is one physical statement on one shard.
type Target struct {
	Shard string
	// SQL is the physical statement. For a prepared statement it may still hold
	// '?' markers, bound in order from Args.
	SQL  string
	Args []any
	// PassArgs reports that SQL takes exactly the client's bound arguments in
	// their original order, so the proxy may forward the client's
	// COM_STMT_EXECUTE packet as it is.
	PassArgs bool
}

// SetVar is one assignment of a SET statement.
type SetVar struct {
	// Name is lower-cased, without @@ and scope prefix ("autocommit",
	// "names", "character_set_client", ...). For user variables it starts with '@'.
	// Special names: "names" for SET NAMES x [COLLATE y] (Value is the quoted
	// charset or DEFAULT, Collate the collation); "charset" for SET CHARACTER
	// SET x / SET CHARSET x; "transaction_isolation" for SET [SESSION|GLOBAL]
	// TRANSACTION ISOLATION LEVEL ... (Value like 'READ-COMMITTED'), and
	// "transaction_read_only" for SET TRANSACTION READ ONLY|WRITE (Value 1|0);
	// tx_isolation / tx_read_only are reported under these names too.
	Name string
	// Global is true for SET GLOBAL (the proxy rejects it).
	Global bool
	// Value is the value expression as SQL text (e.g. "1", "'utf8mb4'").
	Value string
	// Collate is set for SET NAMES x COLLATE y (the bare collation name).
	Collate string
	// OneShot is set for SET TRANSACTION ... without SESSION or GLOBAL: the
	// setting applies to the next transaction only.
	OneShot bool
}

// StaticResult is a small result set made by the proxy.
type StaticResult struct {
	Columns []string
	Rows    [][]any
}

// RowStream is a stream of decoded rows with their column definitions.
// Next returns io.EOF after the last row. A row returned by Next is valid only
// until the next call of Next.
type RowStream interface {
	Fields() []*mysql.Field
	Next() ([]mysql.FieldValue, error)
	Close()
}

// Targets lists the physical statements a plan runs (those of its input for
// a SequencedInsert); nil for plans the proxy carries out itself.
func Targets(pl Plan) []Target {
	switch n := pl.(type) {
	case *Route:
		return []Target{n.Target}
	case *Scatter:
		return n.Targets
	case *MultiWrite:
		return n.Targets
	case *DDL:
		return n.Targets
	case *SequencedInsert:
		return Targets(n.Input)
	}
	return nil
}
