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

// Statement is the analysis of one statement shape. It holds no AST node
// and no text: it is plain data that refers to the significant tokens of a
// Text by index, shared by every session that runs a text of this shape,
// and never mutated after Parse returns it.
type Statement struct {
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
	// KillID (a literal) and KillQuery describe a KILL statement (KindKill).
	KillID    Value
	KillQuery bool
	// ParamCount is the number of '?' markers.
	ParamCount int

	// Tables lists every base-table reference (CTE names and derived tables
	// are not base tables). Template edits refer to them by index.
	Tables []TableRef
	// Blocks lists the query blocks; Blocks[0] is the statement itself.
	Blocks []Block
	// TopBlock is the block whose tables may be scattered with a merge:
	// 0 for SELECT/INSERT/UPDATE/DELETE/DDL, -1 for UNION.
	TopBlock int

	// Template holds the edits of the statement: where table names,
	// qualifiers and session values are written.
	Template *Template
	// Select holds what a scattered SELECT rewrites (top-level SELECT
	// only); SelectErr says why the SELECT cannot run on several partitions
	// ("" if it can).
	Select    *SelectInfo
	SelectErr string

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
	// DropTables lists, for DROP TABLE with several tables, the token range
	// of each name and the range of the whole list (split when they live
	// on different shards).
	DropTables []Span
	DropList   Span
	// MainTable is the table ref a DDL or SHOW statement is about (-1 none).
	MainTable int
	// Rename reports ALTER TABLE ... RENAME / RENAME TABLE.
	Rename bool

	// Explain is set for EXPLAIN <stmt> (the physical statement keeps the
	// client's EXPLAIN clause).
	Explain bool

	Sets []SetVar
	// DB is the database of USE and CREATE/DROP/ALTER DATABASE.
	DB string

	// LastIDColumns is set for a SELECT whose every field is
	// LAST_INSERT_ID(), @@last_insert_id or @@identity, without FROM (or
	// FROM DUAL), WHERE, GROUP BY, ORDER BY or LIMIT: the fields' token
	// spans and aliases; the columns are named after the alias, else the
	// field as written.
	LastIDColumns []Field
	// LastIDArg reports a call LAST_INSERT_ID(expr) anywhere in the
	// statement (it sets the session value: not supported).
	LastIDArg bool
	// UsesLastID reports LAST_INSERT_ID() (or @@last_insert_id,
	// @@identity) inside the statement: its template holds HoleLastID
	// edits, and a plan of it depends on the session's value.
	UsesLastID bool
	// Funcs lists the functions the statement calls (lower case, each
	// once), e.g. to refuse ones whose value differs per copy in a write to
	// a broadcast table.
	Funcs []string
	// UsesConnID reports CONNECTION_ID() inside the statement: its
	// template holds HoleConnID edits, and a plan of it depends on the
	// session.
	UsesConnID bool

	// textBound reports an analysis that depends on more than the shape
	// (ORDER BY 1: a literal that names a column): it is not cached.
	textBound bool
}

// Span is a range [From, To) of significant tokens.
type Span struct{ From, To int }

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
	ValLiteral                  // a literal of the text: Tok, Neg (see Text.Literal)
	ValConst                    // a keyword with a value: TRUE, FALSE (I)
	ValParam                    // P is the 0-based ordinal of the '?' marker
	ValDefault                  // the keyword DEFAULT (a VALUES item)
)

// Value is a literal, a parameter marker or something else. A literal is
// read from the text at plan time (Text.Literal), so that one analysis
// serves every text of its shape.
type Value struct {
	Kind ValueKind
	// Tok is the literal's first significant token (its introducer, or
	// the first of adjacent strings).
	Tok int
	// Neg reports an odd number of unary minus signs before the literal.
	Neg bool
	P   int
	I   int64
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
	// Rows holds the values of each row (VALUES form, or the one row of the
	// SET form), one per column; nil for INSERT ... SELECT.
	Rows [][]Value
	// Select reports INSERT ... SELECT.
	Select bool
	// OnDupColumns lists the columns assigned by ON DUPLICATE KEY UPDATE.
	OnDupColumns []string
	// SetForm reports INSERT ... SET col = value, ...
	SetForm bool
	// RowSpans holds each row's tokens inside its parentheses (VALUES form)
	// or the assignments (SET form), and ValueSpans each value's tokens.
	RowSpans   []Span
	ValueSpans [][]Span
	// RowsList is the tokens of the VALUES list, from the first row's "("
	// to the last row's ")"; ColumnsEnd is where a column is appended: the
	// ")" of the column list (VALUES form) or the end of the assignments
	// (SET form). Both are zero when the INSERT cannot be split.
	RowsList   Span
	ColumnsEnd int
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
	// Like is the LIKE pattern literal (Kind ValExpr when absent); Where the
	// tokens of the WHERE condition (empty when absent).
	Like  Value
	Where Span
}

// SetVar is one assignment of a SET statement (see router.SetVar).
type SetVar struct {
	Name   string
	Global bool
	Value  Span // the value expression's tokens (empty: Fixed, else DEFAULT)
	// Fixed is a value the statement gives by keywords (SET TRANSACTION
	// ISOLATION LEVEL READ COMMITTED: 'READ-COMMITTED').
	Fixed   string
	Collate string
	OneShot bool
	Kind    SetKind
}

// SetKind distinguishes the forms of SET.
type SetKind uint8

const (
	SetSystem SetKind = iota
	SetUser
	SetNames
	SetCharset
)
