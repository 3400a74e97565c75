package router

import "github.com/go-mysql-org/go-mysql/mysql"

// Plans are shared across sessions (they are cached by SQL text): a Plan holds
// no per-execution state and no connections, and nobody mutates one after
// Plan returns it.

// Kind classifies a statement for the proxy session.
type Kind int

const (
	KindQuery     Kind = iota // run Targets, merge if Merge != nil, stream result
	KindBegin                 // BEGIN / START TRANSACTION
	KindCommit                // COMMIT
	KindRollback              // ROLLBACK (whole transaction)
	KindSavepoint             // SAVEPOINT / ROLLBACK TO / RELEASE SAVEPOINT: Targets unused, SQL in Raw
	KindSet                   // SET ...: see Plan.Sets
	KindUse                   // USE db: see Plan.DB
	KindStatic                // answered by the proxy itself from Plan.Static (VEXPLAIN, SHOW DATABASES ...)
	// KindLastInsertID is SELECT LAST_INSERT_ID() (@@last_insert_id,
	// @@identity): the proxy answers one row, every column of
	// Static.Columns holding the session's last generated id.
	KindLastInsertID
	// KindKill is KILL [CONNECTION | QUERY] id: the proxy ends the statement
	// (or the connection) of its own session id (Plan.KillID, KillQuery).
	KindKill
)

// Plan is what the proxy executes for one statement.
type Plan struct {
	Kind Kind
	// Write reports whether the statement changes data (drives 2PC and pinning).
	Write bool
	// Targets lists the physical statements to run, one per (shard, SQL).
	// Several targets may share a shard (two partitions on one server).
	// Statements that touch only unsharded tables (or none) have one target
	// on the schema's default shard with the client's SQL unchanged: it
	// expects the backend connection's current database to be Session.DB.
	// Every other target SQL names its tables with their (physical) schema.
	// Writes (and DDL) with several targets have Merge == nil: the proxy
	// adds up the affected rows.
	Targets []Target
	// Merge is nil when the result of a single target is returned as is;
	// otherwise it says how to combine the targets' results.
	Merge *MergeSpec
	// Sets holds the assignments of a SET statement (KindSet).
	Sets []SetVar
	// DB is the database of a USE statement (KindUse).
	DB string
	// Raw is the original statement text (savepoints, diagnostics).
	Raw string
	// Static is the proxy-made result of a KindStatic plan.
	Static *StaticResult
	// DDL reports a schema change (CREATE/ALTER/DROP/TRUNCATE ...). It
	// commits implicitly on every backend, so it is never atomic across
	// shards; Write is set too.
	DDL bool
	// RenameTable, when set, asks the proxy to show the logical table name
	// instead of the physical one in the (single-target) result: every cell
	// equal to RenameTable.Physical becomes RenameTable.Logical (the "Table"
	// column of SHOW INDEX / SHOW CREATE TABLE), and a cell starting with
	// "CREATE TABLE `Physical`" starts with "CREATE TABLE `Logical`" instead
	// (SHOW CREATE TABLE). Names in the prefix are quoted as MySQL prints
	// them (backquotes doubled).
	RenameTable *TableRename
	// KillID and KillQuery describe a KindKill plan.
	KillID    uint64
	KillQuery bool
	// AutoID, when set, asks the proxy for generated values: an INSERT into
	// a table whose auto_increment column comes from a global sequence has
	// rows without a value for it (column missing, NULL, DEFAULT, or 0
	// without NO_AUTO_VALUE_ON_ZERO). Such a plan has no targets: the proxy
	// takes AutoID.Count consecutive values of AutoID.Sequence and plans
	// again with them in Session.AutoIDs.
	AutoID *AutoIDRequest
	// InsertID, when not 0, is the insert id the proxy reports in the OK
	// packet of an INSERT into a table with a global sequence, as MySQL
	// does: the first generated value (plans built with Session.AutoIDs,
	// Generated set, never cached), else the last explicit value.
	InsertID uint64
	// Generated reports that InsertID is a generated value: it becomes the
	// session's LAST_INSERT_ID().
	Generated bool
	// Sequenced marks an INSERT into a table whose auto_increment column
	// comes from a global sequence: the session's LAST_INSERT_ID() changes
	// only by InsertID, never by the insert ids the backends report for
	// explicit values.
	Sequenced bool
}

// AutoIDRequest asks for Count values of the global sequence Sequence
// ("<schema>.<table>", the logical names of the shard map).
type AutoIDRequest struct {
	Sequence string `json:"sequence"`
	Count    int    `json:"count"`
}

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
