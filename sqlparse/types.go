package sqlparse

// Kind classifies an analysed statement.
type Kind int

const (
	KindUnsupported Kind = iota // see Statement.Unsupported
	KindSelect                  // SELECT (one query block at the top)
	KindUnion                   // SELECT ... UNION / EXCEPT / INTERSECT ...
	KindInsert                  // INSERT and REPLACE (Statement.Insert)
	KindUpdate
	KindDelete
	KindDo // DO expr: routed like a SELECT without result

	KindCreateTable
	KindAlterTable
	KindDropTable
	KindTruncate
	KindCreateIndex
	KindDropIndex
	KindRenameTable
	KindCreateView
	KindDropView

	KindCreateDatabase // Statement.DB; Statement.Template is not set
	KindDropDatabase
	KindAlterDatabase

	KindShow // Statement.Show

	KindBegin
	KindCommit
	KindRollback
	KindSavepoint // SAVEPOINT, ROLLBACK TO [SAVEPOINT], RELEASE SAVEPOINT
	KindSet       // Statement.Sets
	KindUse       // Statement.DB
	KindKill      // KILL [CONNECTION | QUERY] id: Statement.KillID, KillQuery
)

// IsDDL reports whether the kind is a schema change (implicit commit).
func (k Kind) IsDDL() bool { return k >= KindCreateTable && k <= KindAlterDatabase }

// Statement is the analysis of one SQL text. It holds no AST node: it is
// plain data, shared by every session that runs the same text, and never
// mutated after Parse returns it.
type Statement struct {
	SQL  string
	Kind Kind
	// Unsupported names the construct when Kind == KindUnsupported.
	Unsupported string
	// ShardedUnsupported names a construct that is fine on unsharded tables
	// but must be rejected when a sharded table is involved
	// (e.g. "CREATE TABLE ... LIKE").
	ShardedUnsupported string
	// Engine is the ENGINE= option of CREATE/ALTER TABLE ("" when none).
	Engine string
	// ReadOnly reports START TRANSACTION READ ONLY.
	ReadOnly bool
	// KillID and KillQuery describe a KILL statement (KindKill).
	KillID    uint64
	KillQuery bool
	// ParamCount is the number of '?' markers.
	ParamCount int

	// Tables lists every base-table reference (CTE names and derived tables
	// are not base tables). Template holes refer to them by index.
	Tables []TableRef
	// Blocks lists the query blocks; Blocks[0] is the statement itself.
	Blocks []Block
	// TopBlock is the block whose tables may be scattered with a merge:
	// 0 for SELECT/INSERT/UPDATE/DELETE/DDL, -1 for UNION.
	TopBlock int

	// Template is the whole statement with holes for table names.
	Template *Template
	// Scatter is the pushed-down form of a top-level SELECT (nil for other
	// statements); ScatterErr says why the SELECT cannot run on several
	// partitions (nil if it can).
	Scatter    *Scatter
	ScatterErr string

	// Write reports a data-changing statement (INSERT/UPDATE/DELETE).
	Write bool
	// WriteTables lists the table refs written by INSERT/UPDATE/DELETE.
	WriteTables []int
	// HasOrderOrLimit is set for UPDATE/DELETE with ORDER BY or LIMIT, and
	// for INSERT ... SELECT ... LIMIT.
	HasOrderOrLimit bool
	// Assigned lists the columns written by UPDATE ... SET.
	Assigned []ColRef

	Insert *InsertInfo
	Show   *ShowInfo
	// DropTemplates holds one DROP statement per table for DROP TABLE with
	// several tables (split when they live on different shards).
	DropTemplates []*Template
	// MainTable is the table ref a DDL or SHOW statement is about (-1 none).
	MainTable int
	// Rename reports ALTER TABLE ... RENAME / RENAME TABLE.
	Rename bool

	// Explain is set for EXPLAIN <stmt>: the prefix to put before the inner
	// statement's physical SQL ("EXPLAIN " or "EXPLAIN FORMAT=JSON ").
	Explain string

	Sets []SetVar
	// DB is the database of USE and CREATE/DROP/ALTER DATABASE.
	DB string
	// DBTemplate is the CREATE/DROP/ALTER DATABASE statement with the name
	// replaced by a hole of kind HoleDatabase.
	DBTemplate *Template

	// LastIDColumns is set for a SELECT whose every field is
	// LAST_INSERT_ID(), @@last_insert_id or @@identity, without FROM (or
	// FROM DUAL), WHERE, GROUP BY, ORDER BY or LIMIT: the result column
	// names, as MySQL names them (the alias, else the text as written).
	LastIDColumns []string
	// LastIDArg reports a call LAST_INSERT_ID(expr) anywhere in the
	// statement (it sets the session value: not supported).
	LastIDArg bool
	// UsesLastID reports LAST_INSERT_ID() (or @@last_insert_id,
	// @@identity) inside the statement: its templates hold HoleLastID
	// holes, and a plan of it depends on the session's value.
	UsesLastID bool
	// Funcs lists the functions the statement calls (lower case, each
	// once), e.g. to refuse ones whose value differs per copy in a write to
	// a broadcast table.
	Funcs []string
	// UsesConnID reports CONNECTION_ID() inside the statement: its
	// templates hold HoleConnID holes, and a plan of it depends on the
	// session.
	UsesConnID bool
}

// TableRef is one reference to a base table.
type TableRef struct {
	Schema string // as written; "" when unqualified (the current database)
	Name   string
	Alias  string
	Block  int
}

// Block is one query block (a SELECT, or the statement itself for
// UPDATE/DELETE/INSERT/DDL/SHOW).
type Block struct {
	Parent int
	// Tables lists the table refs in this block's FROM (or target).
	Tables []int
	// HasDerived reports derived tables or CTE references in the FROM.
	HasDerived bool
	// Cond is the routing condition: WHERE plus the ON conditions of inner
	// joins not nested under an outer join's null-supplying side. nil means
	// no usable restriction.
	Cond *Cond
	// JoinEqs lists column = column equalities that hold for every joined
	// row (top-level conjuncts of WHERE and of every ON, and USING columns).
	JoinEqs [][2]ColRef
	// OuterJoins lists the outer joins of the FROM clause: the tables of the
	// preserved side and of the null-supplying side.
	OuterJoins []OuterJoin
}

// OuterJoin is one LEFT/RIGHT JOIN: the table refs on its preserved and
// null-supplying sides; Other* report derived tables or CTE references on
// that side.
type OuterJoin struct {
	Preserved      []int
	Nullable       []int
	OtherPreserved bool
	OtherNullable  bool
}

// ColRef is a column reference in a block.
type ColRef struct {
	Block int
	// Table is the base table ref the column belongs to, or -1 when the
	// column is unqualified (the router resolves it by shard key name), or
	// -2 when the qualifier names something else (derived table, CTE).
	Table int
	Name  string // lower case
}

// ValueKind tells what a Value holds.
type ValueKind uint8

const (
	ValExpr    ValueKind = iota // not a literal: an expression, function call, column ...
	ValNull                     // NULL
	ValInt                      // I
	ValUint                     // U (only values > MaxInt64)
	ValFloat                    // F
	ValDecimal                  // S holds the exact decimal text
	ValString                   // S
	ValParam                    // P is the 0-based ordinal of the '?' marker
	ValHex                      // S holds the bytes of a hex/bit literal
	ValDefault                  // the keyword DEFAULT (a VALUES item)
)

// Value is a literal or a parameter marker.
type Value struct {
	Kind ValueKind
	I    int64
	U    uint64
	F    float64
	S    string
	P    int
}

// CondOp is the node type of a Cond.
type CondOp uint8

const (
	CondAnd   CondOp = iota + 1 // every Kid holds
	CondOr                      // some Kid holds
	CondAtom                    // Col Cmp Vals
	CondColEq                   // Col = Col2
)

// CmpOp is the comparison of an atom.
type CmpOp uint8

const (
	CmpEq      CmpOp = iota + 1 // Col = Vals[0]
	CmpIn                       // Col IN (Vals...)
	CmpLt                       // Col < Vals[0]
	CmpLe                       // Col <= Vals[0]
	CmpGt                       // Col > Vals[0]
	CmpGe                       // Col >= Vals[0]
	CmpBetween                  // Vals[0] <= Col <= Vals[1]
)

// Cond is a routing condition tree. Anything that is not an AND/OR of
// atoms is left out (a nil Cond restricts nothing).
type Cond struct {
	Op   CondOp
	Kids []*Cond
	Col  ColRef
	Col2 ColRef
	Cmp  CmpOp
	Vals []Value
}

// InsertInfo describes an INSERT or REPLACE.
type InsertInfo struct {
	Table   int      // table ref written
	Replace bool     // REPLACE
	Columns []string // column list, lower case; nil when omitted
	// Rows holds the values of each row (VALUES form), one per column;
	// nil for INSERT ... SELECT.
	Rows [][]Value
	// Select reports INSERT ... SELECT.
	Select bool
	// OnDupColumns lists the columns assigned by ON DUPLICATE KEY UPDATE.
	OnDupColumns []string
	// Split is the statement with the VALUES rows replaced by a HoleRows
	// hole and the last column of the column list by a HoleColumns hole
	// (INSERT ... SET is written in the VALUES form); RowTemplates holds the
	// text of each row (without parentheses), its values separated by
	// HoleValueSep holes. Both are nil for INSERT ... SELECT and for a
	// single-row INSERT without a column list.
	Split        *Template
	RowTemplates []*Template
}

// ShowKind is the kind of a SHOW statement.
type ShowKind int

const (
	ShowOther       ShowKind = iota // passed to one shard as is (SHOW VARIABLES, ...)
	ShowDatabases                   // answered from the shard map
	ShowTables                      // SHOW [FULL] TABLES [FROM db] [LIKE|WHERE]
	ShowColumns                     // SHOW COLUMNS, DESCRIBE
	ShowIndex                       // SHOW INDEX
	ShowCreateTable                 // SHOW CREATE TABLE
	ShowTableStatus                 // SHOW TABLE STATUS
)

// ShowInfo describes a SHOW statement.
type ShowInfo struct {
	Kind ShowKind
	Full bool
	DB   string // FROM db ("" = current database)
	// Like is the LIKE pattern (nil when absent); Where the WHERE condition
	// as SQL text ("" when absent).
	Like  *string
	Where string
}

// SetVar is one assignment of a SET statement (see router.SetVar).
type SetVar struct {
	Name      string
	Global    bool
	Value     *Template // the value expression; may hold '?' markers
	Collate   string
	OneShot   bool
	Kind      SetKind
	ValueText string // Value rendered without arguments
}

// SetKind distinguishes the forms of SET.
type SetKind uint8

const (
	SetSystem SetKind = iota
	SetUser
	SetNames
	SetCharset
)

// AggFunc is an aggregate function of a scattered SELECT.
type AggFunc int

const (
	AggCount AggFunc = iota + 1
	AggSum
	AggMin
	AggMax
	AggAvg
	// AggCountDistinct is COUNT(DISTINCT x): the pushed query returns x
	// (grouped by it too) in the field's place; the merge counts the
	// distinct non-NULL values per group.
	AggCountDistinct
)

// Scatter is how a top-level SELECT runs on several partitions. Column
// positions are absolute (>= 0) or counted from the end of the row (< 0,
// -1 is the last column) when the select list has a wildcard.
type Scatter struct {
	Template *Template
	// Fields is the number of client-visible select fields; Hidden the number
	// of trailing helper columns added; Wildcard reports '*' in the list.
	Fields   int
	Hidden   int
	Wildcard bool
	GroupBy  []int
	Aggs     []ScatterAgg
	Having   []HavingCond
	Distinct bool
	OrderBy  []ScatterOrder
	// Limit and Offset are nil when absent (they may be parameters).
	Limit  *Value
	Offset *Value
	// LimitHole reports that Template has a HoleLimit to fill with
	// "LIMIT offset+count".
	LimitHole bool
}

// ScatterAgg is one aggregate column.
type ScatterAgg struct {
	Func        AggFunc
	Column      int
	CountColumn int
	Name        string
}

// HavingCond is Column Op Value.
type HavingCond struct {
	Column int
	Op     string
	Value  Value
}

// ScatterOrder is one sort key.
type ScatterOrder struct {
	Column int
	Desc   bool
}
