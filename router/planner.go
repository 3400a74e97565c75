package router

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/shardline/shardline/sqlparse"
)

// Session is what the planner needs of the client session.
type Session struct {
	DB    string // current database ("" when none)
	InTxn bool   // a transaction is open
	// Read says how the server reads the session's statements: sql_mode
	// flags, character set, the shards' version (executable comments).
	Read sqlparse.Options
	// NoAutoValueOnZero is the sql_mode flag NO_AUTO_VALUE_ON_ZERO: a 0
	// given for an auto_increment column is stored as 0, not generated.
	NoAutoValueOnZero bool
	// AutoIDs are the generated values for an INSERT (a Generate node's
	// continuation plans with them), in row order; nil otherwise.
	AutoIDs []uint64
	// LastInsertID is the session's LAST_INSERT_ID(), written in place of
	// LAST_INSERT_ID() (@@last_insert_id, @@identity) inside statements.
	LastInsertID uint64
	// ConnectionID is the client session's id (the one KILL takes), written
	// in place of CONNECTION_ID(): the backend would answer with its own.
	ConnectionID uint32
	// Now is the statement's time. A write to a broadcast table runs on
	// every copy with @@timestamp fixed to it (SET STATEMENT timestamp=...
	// FOR ...), so NOW(), CURRENT_TIMESTAMP and DEFAULT CURRENT_TIMESTAMP
	// columns get one value on every shard. Zero: the copies use their own
	// clocks.
	Now time.Time
	// TableColumns, when set, returns the columns of a physical table in
	// table order (lower case), looked up on its shard: an INSERT without a
	// column list into a sharded table needs them to find the shard key's
	// value. Nil: such INSERTs are refused.
	TableColumns func(shard, schema, table string) ([]string, error)
}

// Planner turns statements into plans. It caches the analyses of
// statement shapes (sqlparse); it is safe for concurrent use. Plans are made
// per execution: a plan holds the statement's own literal values, spliced
// from its text.
//
// Routing-plan inspection: a statement written as
//
//	EXPLAIN FORMAT=SHARDLINE <statement>
//
// (FORMAT='shardline' works too; the prefix is recognised textually, so any
// statement may follow) is not run: it returns a Static result with the
// columns (shard, sql), one row per target, and a last row ("merge", ...)
// describing the merge when there is one. For statements the proxy handles
// itself (BEGIN, SET, USE, ...) the single row has an empty shard and the
// kind of plan.
type Planner struct {
	parser *sqlparse.Parser
	mu     sync.Mutex
	cur    atomic.Pointer[compiled]
}

// NewPlanner returns a planner with an empty cache.
func NewPlanner() *Planner {
	return &Planner{parser: sqlparse.NewParser(sqlparse.DefaultCacheSize)}
}

func (p *Planner) compiled(m *ShardMap) (*compiled, error) {
	if c := p.cur.Load(); c != nil && c.m == m {
		return c, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if c := p.cur.Load(); c != nil && c.m == m {
		return c, nil
	}
	c, err := compile(m)
	if err != nil {
		return nil, mysql.NewError(mysql.ER_UNKNOWN_ERROR, "invalid shard map: "+err.Error())
	}
	p.cur.Store(c)
	return c, nil
}

var explainRE = regexp.MustCompile(`(?is)^\s*explain\s+format\s*=\s*['"]?shardline['"]?\s+(.*\S)\s*;?\s*$`)

// Plan plans one statement. args are the bound values of a prepared
// statement (nil for a text query). The returned plan is the caller's.
func (p *Planner) Plan(sql string, args []any, m *ShardMap, s Session) (Plan, error) {
	c, err := p.compiled(m)
	if err != nil {
		return nil, err
	}
	if mm := explainRE.FindStringSubmatch(sql); mm != nil {
		pl, err := p.planText(c, mm[1], args, s)
		if err != nil {
			return nil, err
		}
		return &Static{Result: Explain(pl)}, nil
	}
	return p.planText(c, sql, args, s)
}

func (p *Planner) planText(c *compiled, sql string, args []any, s Session) (Plan, error) {
	st, text, err := p.parser.Parse(sql, s.Read)
	pc := &pctx{c: c, st: st, text: text, args: args, sess: s}
	if err != nil {
		if text != nil && isParseError(err) {
			switch pl, table := pc.transparent(text); {
			case pl != nil:
				return pl, nil
			case table != "":
				return nil, unreadable("this statement", table)
			}
		}
		return nil, err
	}
	if st.Kind == sqlparse.KindUnsupported && passThroughUnsupported[st.Unsupported] {
		switch pl, table := pc.transparent(text); {
		case pl != nil:
			return pl, nil
		case table != "":
			return nil, unreadable(st.Unsupported, table)
		}
	}
	return pc.plan()
}

// Prepared is what COM_STMT_PREPARE needs of a statement: how many
// parameters it takes and a plan to learn its metadata from. The plan is
// made with probe values (every parameter 0): it names a shard where the
// physical statement can be prepared, not where an execution will run
// (executions are planned by their bound values).
type Prepared struct {
	ParamCount int
	Probe      Plan
}

// Prepare analyses a statement for COM_STMT_PREPARE.
func (p *Planner) Prepare(sql string, m *ShardMap, s Session) (*Prepared, error) {
	inner := sql
	if mm := explainRE.FindStringSubmatch(sql); mm != nil {
		inner = mm[1]
	}
	st, _, err := p.parser.Parse(inner, s.Read)
	if err != nil {
		return nil, err
	}
	if st.Kind == sqlparse.KindUnsupported {
		return nil, sqlparse.Unsupported(st.Unsupported)
	}
	args := make([]any, st.ParamCount)
	for i := range args {
		args[i] = int64(0)
	}
	probe, err := p.Plan(sql, args, m, s)
	if err != nil {
		return nil, err
	}
	return &Prepared{ParamCount: st.ParamCount, Probe: probe}, nil
}

// --- errors -------------------------------------------------------------------

func unsupported(format string, a ...any) error {
	return sqlparse.Unsupported(fmt.Sprintf(format, a...))
}

func errBadDB(db string) error {
	return mysql.NewError(mysql.ER_BAD_DB_ERROR, fmt.Sprintf("Unknown database '%s'", db))
}

func errNoDB() error {
	return mysql.NewError(mysql.ER_NO_DB_ERROR, "No database selected")
}

// --- table resolution ------------------------------------------------------

type tclass uint8

const (
	clsUnsharded tclass = iota
	clsBroadcast
	clsSharded
	clsSystem
)

type tref struct {
	ref    *sqlparse.TableRef
	schema string // logical schema (as in the map when known)
	cls    tclass
	cs     *cschema
	rule   *crule
	shard  string // default shard (unsharded)
}

func (t *tref) String() string { return t.schema + "." + t.ref.Name }

func isSystemSchema(s string) bool {
	switch strings.ToLower(s) {
	case "information_schema", "mysql", "performance_schema", "sys":
		return true
	}
	return false
}

// pctx is the state of planning one statement.
type pctx struct {
	c    *compiled
	st   *sqlparse.Statement
	text *sqlparse.Text
	args []any
	sess Session
	refs []tref
	// insertCols is the column list an INSERT without one was routed by
	// (looked up on the shard); it is written after the table name, so a
	// table whose columns changed since makes the shard refuse the row
	// instead of storing it under another shard key.
	insertCols []string
}

// plan plans pc.st.
func (pc *pctx) plan() (Plan, error) {
	c, st, args := pc.c, pc.st, pc.args
	if args != nil && len(args) != st.ParamCount {
		return nil, mysql.NewError(mysql.ER_WRONG_ARGUMENTS,
			fmt.Sprintf("Incorrect arguments to mysqld_stmt_execute (%d parameters, %d values)", st.ParamCount, len(args)))
	}
	if args == nil && st.ParamCount > 0 {
		return nil, mysql.NewError(mysql.ER_PARSE_ERROR, "You have an error in your SQL syntax; '?' parameter markers are only valid in prepared statements")
	}
	switch st.Kind {
	case sqlparse.KindUnsupported:
		return nil, sqlparse.Unsupported(st.Unsupported)
	case sqlparse.KindBegin:
		return &Txn{Op: TxnBegin, SQL: pc.text.SQL, ReadOnly: st.ReadOnly}, nil
	case sqlparse.KindCommit:
		return &Txn{Op: TxnCommit, SQL: pc.text.SQL}, nil
	case sqlparse.KindRollback:
		return &Txn{Op: TxnRollback, SQL: pc.text.SQL}, nil
	case sqlparse.KindSavepoint:
		return &Txn{Op: TxnSavepoint, SQL: pc.text.SQL}, nil
	case sqlparse.KindUse:
		if c.schema(st.DB) == nil && !isSystemSchema(st.DB) {
			return nil, errBadDB(st.DB)
		}
		return &Use{DB: st.DB}, nil
	case sqlparse.KindSet:
		return pc.planSet()
	case sqlparse.KindKill:
		id, err := pc.uintOf(st.KillID)
		if err != nil {
			return nil, unsupported("this form of KILL (use KILL [CONNECTION | QUERY] <id>)")
		}
		return &Kill{ID: id, Query: st.KillQuery}, nil
	case sqlparse.KindCreateDatabase, sqlparse.KindDropDatabase, sqlparse.KindAlterDatabase:
		return pc.planDatabase()
	}
	if st.LastIDArg {
		return nil, unsupported("LAST_INSERT_ID(expr): the proxy keeps the session's last insert id, set it by inserting")
	}
	if st.LastIDColumns != nil && st.Kind == sqlparse.KindSelect && !st.Explain {
		cols := make([]string, len(st.LastIDColumns))
		for i, f := range st.LastIDColumns {
			cols[i] = f.Alias
			if cols[i] == "" {
				cols[i] = pc.text.Span(f.Span.From, f.Span.To) // named as written
			}
		}
		return &LastInsertID{Columns: cols}, nil
	}
	if err := pc.resolve(); err != nil {
		return nil, err
	}
	switch st.Kind {
	case sqlparse.KindShow:
		return pc.planShow()
	case sqlparse.KindInsert:
		return pc.planInsert()
	case sqlparse.KindSelect, sqlparse.KindUnion, sqlparse.KindUpdate, sqlparse.KindDelete, sqlparse.KindDo:
		return pc.planDML()
	}
	if st.Kind.IsDDL() {
		return pc.planDDL()
	}
	return nil, unsupported("this statement")
}

func (pc *pctx) resolve() error {
	pc.refs = make([]tref, len(pc.st.Tables))
	for i := range pc.st.Tables {
		r := &pc.st.Tables[i]
		t := tref{ref: r, schema: r.Schema}
		if t.schema == "" {
			t.schema = pc.sess.DB
		}
		switch {
		case t.schema == "":
			return errNoDB()
		case isSystemSchema(t.schema):
			t.cls = clsSystem
		default:
			cs := pc.c.schema(t.schema)
			if cs == nil {
				return errBadDB(t.schema)
			}
			t.cs, t.schema = cs, cs.name
			t.shard = cs.def.DefaultShard
			if rule := cs.rule(r.Name); rule != nil {
				t.rule = rule
				if rule.broadcast {
					t.cls = clsBroadcast
				} else {
					t.cls = clsSharded
				}
			}
		}
		pc.refs[i] = t
	}
	return nil
}

// defaultShard is where statements without tables go.
func (pc *pctx) defaultShard() (string, error) {
	if cs := pc.c.schema(pc.sess.DB); cs != nil {
		return cs.def.DefaultShard, nil
	}
	if len(pc.c.schemaNames) > 0 {
		return pc.c.m.Schemas[pc.c.schemaNames[0]].DefaultShard, nil
	}
	if len(pc.c.shards) > 0 {
		return pc.c.shards[0], nil
	}
	return "", unsupported("statements without any shard in the shard map")
}

// passthrough is the fast path: the client's SQL unchanged on one shard
// (rendered with the session's values when it uses LAST_INSERT_ID() or
// CONNECTION_ID()).
func (pc *pctx) passthrough(shard string) Plan {
	t := Target{Shard: shard, SQL: pc.text.SQL, Args: pc.args, PassArgs: true}
	if pc.st.UsesLastID || pc.st.UsesConnID {
		t = pc.target(shard, pc.st.Template, &renderer{})
	}
	if pc.st.Kind.IsDDL() {
		return &DDL{Targets: []Target{t}}
	}
	return &Route{Target: t, Write: pc.st.Write && !pc.st.Explain}
}

// --- rendering ---------------------------------------------------------------

// renderer fills the holes of one target's statement.
type renderer struct {
	pc       *pctx
	tpl      *sqlparse.Template
	params   *[]int
	assign   func(ref int) *cpart
	limit    string
	rows     []int     // INSERT rows of this target (HoleRows)
	auto     *autoFill // generated values of an INSERT (nil: none)
	database string
}

func (r *renderer) fill(b *strings.Builder, e *sqlparse.Edit) {
	pc, h := r.pc, e.Hole
	switch h.Kind {
	case sqlparse.HoleTable:
		if p := r.assign(h.Ref); p != nil {
			b.WriteString(p.qualified)
		} else {
			b.WriteString(pc.text.Span(e.From, e.To))
		}
		if pc.insertCols != nil && h.Ref == pc.st.Insert.Table {
			b.WriteString(" (")
			for i, c := range pc.insertCols {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString(sqlparse.QuoteName(c))
			}
			b.WriteByte(')')
		}
	case sqlparse.HoleQualifier:
		switch p := r.assign(h.Ref); {
		case p == nil:
			b.WriteString(pc.text.Span(e.From, e.To))
		case h.Schema:
			b.WriteString(p.qualifier)
		default:
			b.WriteString(p.qualifierTable)
		}
	case sqlparse.HoleLimit:
		b.WriteString(r.limit)
	case sqlparse.HoleRows:
		for j, row := range r.rows {
			if j > 0 {
				b.WriteByte(',')
			}
			r.renderRow(b, row)
		}
	case sqlparse.HoleDatabase:
		b.WriteString(sqlparse.QuoteName(r.database))
	case sqlparse.HoleLastID:
		b.WriteString(strconv.FormatUint(pc.sess.LastInsertID, 10))
	case sqlparse.HoleConnID:
		b.WriteString(strconv.FormatUint(uint64(pc.sess.ConnectionID), 10))
	case sqlparse.HoleColumns:
		r.appendColumn(b)
	case sqlparse.HoleAlias:
		// the field as the client wrote it names the column
		b.WriteString(" AS ")
		b.WriteString(sqlparse.QuoteName(pc.text.Span(e.Pieces[0].From, e.Pieces[0].To)))
	case sqlparse.HoleShowFrom:
		if r.assign(h.Ref) == nil {
			b.WriteString(pc.text.Span(e.From, e.To))
		}
	}
}

// target renders a template for one shard.
func (pc *pctx) target(shard string, t *sqlparse.Template, r *renderer) Target {
	r.pc, r.tpl = pc, t
	if r.assign == nil {
		r.assign = func(int) *cpart { return nil }
	}
	var b strings.Builder
	b.Grow(len(pc.text.SQL) + 32)
	params := make([]int, 0, pc.st.ParamCount)
	r.params = &params
	t.Render(&b, pc.text, 0, len(pc.text.Toks), r.fill, &params)
	tg := Target{Shard: shard, SQL: b.String()}
	if pc.args != nil {
		ident := len(params) == len(pc.args)
		for i, p := range params {
			if p != i {
				ident = false
				break
			}
		}
		if ident {
			tg.Args, tg.PassArgs = pc.args, true
		} else if len(params) > 0 {
			tg.Args = make([]any, len(params))
			for i, p := range params {
				tg.Args[i] = pc.args[p]
			}
		}
	} else {
		tg.PassArgs = true
	}
	return tg
}

// --- values ---------------------------------------------------------------------

// lit reads a literal of the statement's text.
func (pc *pctx) lit(v sqlparse.Value) sqlparse.Literal { return pc.text.Literal(v) }

// keyOf turns a literal or a bound parameter into a shard-key value.
func (pc *pctx) keyOf(v sqlparse.Value) (keyVal, bool) {
	if v.Kind == sqlparse.ValParam {
		if pc.args == nil || v.P >= len(pc.args) {
			return keyVal{}, false
		}
		return normKey(pc.args[v.P])
	}
	l := pc.lit(v)
	switch l.Kind {
	case sqlparse.LitInt:
		if l.Unsigned {
			return keyVal{kind: kUint, u: l.U}, true
		}
		return keyVal{kind: kInt, i: l.I}, true
	case sqlparse.LitFloat:
		return normFloat(l.F), true
	case sqlparse.LitDecimal:
		return normNumberText(l.Text)
	case sqlparse.LitString:
		return normString(string(l.Bytes)), true
	}
	return keyVal{}, false
}

// goValue turns a literal or parameter into a Go value for a merge
// condition; false for values the merge cannot compare as the server does
// (hex and bit literals).
func (pc *pctx) goValue(v sqlparse.Value) (any, bool) {
	if v.Kind == sqlparse.ValParam {
		if pc.args == nil || v.P >= len(pc.args) {
			return nil, true
		}
		switch x := pc.args[v.P].(type) {
		case []byte:
			return string(x), true
		case int:
			return int64(x), true
		case int32:
			return int64(x), true
		case float32:
			return float64(x), true
		case time.Time:
			k, _ := normKey(x)
			return k.s, true
		case bool:
			if x {
				return int64(1), true
			}
			return int64(0), true
		default:
			return x, true
		}
	}
	l := pc.lit(v)
	switch l.Kind {
	case sqlparse.LitNull:
		return nil, true
	case sqlparse.LitInt:
		if l.Unsigned {
			return l.U, true
		}
		return l.I, true
	case sqlparse.LitFloat:
		return l.F, true
	case sqlparse.LitDecimal:
		f, err := strconv.ParseFloat(l.Text, 64)
		return f, err == nil
	case sqlparse.LitString:
		return string(l.Bytes), true
	}
	return nil, false
}

// uintOf returns a LIMIT/OFFSET (or KILL) value.
func (pc *pctx) uintOf(v sqlparse.Value) (uint64, error) {
	if v.Kind == sqlparse.ValParam {
		if pc.args != nil && v.P < len(pc.args) {
			if k, ok := normKey(pc.args[v.P]); ok {
				switch {
				case k.kind == kInt && k.i >= 0:
					return uint64(k.i), nil
				case k.kind == kUint:
					return k.u, nil
				}
			}
		}
	} else if l := pc.lit(v); l.Kind == sqlparse.LitInt && !l.Unsigned && l.I >= 0 {
		return uint64(l.I), nil
	} else if l.Kind == sqlparse.LitInt && l.Unsigned {
		return l.U, nil
	}
	return 0, mysql.NewError(mysql.ER_WRONG_ARGUMENTS, "Incorrect arguments to LIMIT")
}

// --- partition sets ---------------------------------------------------------------

// pset is a set of partition indexes; all == true means every partition.
type pset struct {
	all bool
	idx []int // sorted, unique
}

var allParts = pset{all: true}

func (a pset) and(b pset) pset {
	if a.all {
		return b
	}
	if b.all {
		return a
	}
	var out []int
	i, j := 0, 0
	for i < len(a.idx) && j < len(b.idx) {
		switch {
		case a.idx[i] == b.idx[j]:
			out = append(out, a.idx[i])
			i++
			j++
		case a.idx[i] < b.idx[j]:
			i++
		default:
			j++
		}
	}
	return pset{idx: out}
}

func setOf(m map[int]bool) pset {
	out := make([]int, 0, len(m))
	for i := range m {
		out = append(out, i)
	}
	sort.Ints(out)
	return pset{idx: out}
}

func (a pset) list(n int) []int {
	if !a.all {
		return a.idx
	}
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// index returns the partition holding a key.
func (r *crule) index(k keyVal) (int, bool) {
	n := len(r.parts)
	switch r.algo {
	case AlgoHash:
		id, ok := keyspaceID(k)
		if !ok {
			return 0, false
		}
		return sort.Search(n, func(i int) bool { return r.starts[i] > id }) - 1, true
	case AlgoMod:
		return modIndex(k, n)
	case AlgoRange:
		for i := 0; i < n; i++ {
			if !r.hasUpper[i] {
				return i, true
			}
			c, ok := cmpKey(k, r.uppers[i])
			if !ok {
				return 0, false
			}
			if c < 0 {
				return i, true
			}
		}
	}
	return 0, false
}

// partsFor evaluates one atom on the shard key of r.
func (pc *pctx) partsFor(r *crule, c *sqlparse.Cond) pset {
	switch c.Cmp {
	case sqlparse.CmpEq, sqlparse.CmpIn:
		m := map[int]bool{}
		for _, v := range c.Vals {
			k, ok := pc.keyOf(v)
			if !ok {
				return allParts
			}
			i, ok := r.index(k)
			if !ok {
				return allParts
			}
			m[i] = true
		}
		return setOf(m)
	}
	if r.algo != AlgoRange {
		return allParts
	}
	n := len(r.parts)
	lo, hi := 0, n-1
	bound := func(v sqlparse.Value, low bool) bool {
		k, ok := pc.keyOf(v)
		if !ok {
			return false
		}
		i, ok := r.index(k)
		if !ok {
			if c, ok := cmpKey(k, r.uppers[0]); !ok || c < 0 {
				return false
			}
			i = n - 1 // beyond the last bound
		}
		if !low && c.Cmp == sqlparse.CmpLt && i > 0 && r.hasUpper[i-1] {
			if cv, ok := cmpKey(k, r.uppers[i-1]); ok && cv == 0 {
				i-- // k < lower bound of partition i: nothing of it matches
			}
		}
		if low {
			lo = max(lo, i)
		} else {
			hi = min(hi, i)
		}
		return true
	}
	ok := true
	switch c.Cmp {
	case sqlparse.CmpLt, sqlparse.CmpLe:
		ok = bound(c.Vals[0], false)
	case sqlparse.CmpGt, sqlparse.CmpGe:
		ok = bound(c.Vals[0], true)
	case sqlparse.CmpBetween:
		ok = bound(c.Vals[0], true) && bound(c.Vals[1], false)
	}
	if !ok {
		return allParts
	}
	var out []int
	for i := lo; i <= hi; i++ {
		out = append(out, i)
	}
	return pset{idx: out}
}

// eval evaluates a routing condition; ruleOf returns the rule whose shard
// key a column is (nil for any other column).
func (pc *pctx) eval(c *sqlparse.Cond, ruleOf func(sqlparse.ColRef) *crule) pset {
	if c == nil {
		return allParts
	}
	switch c.Op {
	case sqlparse.CondAnd:
		out := allParts
		for _, k := range c.Kids {
			out = out.and(pc.eval(k, ruleOf))
		}
		return out
	case sqlparse.CondOr:
		// one set for every disjunct: a long OR list stays linear
		union := map[int]bool{}
		for _, k := range c.Kids {
			p := pc.eval(k, ruleOf)
			if p.all {
				return allParts
			}
			for _, i := range p.idx {
				union[i] = true
			}
		}
		return setOf(union)
	case sqlparse.CondAtom:
		if r := ruleOf(c.Col); r != nil {
			return pc.partsFor(r, c)
		}
	}
	return allParts
}

// keyRef returns the sharded table ref whose shard key col is, or -1.
func (pc *pctx) keyRef(col sqlparse.ColRef) int {
	if col.Table >= 0 {
		t := &pc.refs[col.Table]
		if t.cls == clsSharded && t.rule.key == col.Name {
			return col.Table
		}
		return -1
	}
	if col.Table == -1 && col.Block >= 0 && col.Block < len(pc.st.Blocks) {
		found := -1
		for _, r := range pc.st.Blocks[col.Block].Tables {
			t := &pc.refs[r]
			if t.cls == clsSharded && t.rule.key == col.Name {
				if found >= 0 {
					return -1 // ambiguous
				}
				found = r
			}
		}
		return found
	}
	return -1
}

func sameShape(a, b *crule) bool {
	if a.algo != b.algo || len(a.parts) != len(b.parts) {
		return false
	}
	for i := range a.parts {
		if a.parts[i].shard != b.parts[i].shard {
			return false
		}
		switch a.algo {
		case AlgoHash:
			if a.starts[i] != b.starts[i] {
				return false
			}
		case AlgoRange:
			if a.hasUpper[i] != b.hasUpper[i] {
				return false
			}
			if a.hasUpper[i] {
				if c, ok := cmpKey(a.uppers[i], b.uppers[i]); !ok || c != 0 {
					return false
				}
			}
		}
	}
	return true
}

func satAdd(a, b uint64) uint64 {
	if a > math.MaxUint64-b {
		return math.MaxUint64
	}
	return a + b
}
