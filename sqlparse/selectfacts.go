package sqlparse

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	driver "github.com/pingcap/tidb/pkg/parser/test_driver"

	"github.com/shardline/shardline/sqllex"
)

// SelectInfo is what the router needs to run a top-level SELECT on
// several partitions: its clauses, where they are in the text, and what
// their expressions are. The router decides what to push down.
type SelectInfo struct {
	Fields []Field
	// FieldsEnd is the token after the last field (where a field is
	// appended).
	FieldsEnd int
	Distinct  bool
	// GroupBy lists the GROUP BY items; GroupByEnd is the token after the
	// last one. Without GROUP BY, GroupAt is where one would be inserted
	// (before HAVING, ORDER BY, LIMIT, locking clauses, or at the end).
	GroupBy    []Expr
	GroupByEnd int
	GroupAt    int
	Rollup     bool
	// Having is nil without HAVING.
	Having  *Having
	OrderBy []OrderItem
	// Limit is nil without LIMIT.
	Limit *Limit
	// HasWindow reports window functions in the select list or ORDER BY.
	HasWindow bool
	// CalcFoundRows reports SQL_CALC_FOUND_ROWS.
	CalcFoundRows bool
}

// Field is one select field.
type Field struct {
	// Span is the field, alias included; Expr its expression.
	Span     Span
	Expr     Expr
	Wildcard bool
	// Alias is the alias (lower case), "" when none.
	Alias string
}

// Expr is what the router knows of an expression.
type Expr struct {
	Span Span
	// Key is its canonical text, equal for the same expression written
	// with other spacing, case or quoting.
	Key string
	// Column is set when the expression is a column reference.
	Column *ColumnRef
	// Agg is set when the expression is an aggregate function call.
	Agg *Agg
	// Position is n of ORDER BY n / GROUP BY n (0 otherwise).
	Position int
	// Const reports a literal or a '?' marker.
	Const bool
	// HasAgg and HasWindow report aggregates or window functions inside
	// (outside subqueries).
	HasAgg, HasWindow bool
}

// ColumnRef is a column reference (lower case; Table "" when unqualified).
type ColumnRef struct{ Table, Name string }

// Agg is an aggregate call: Func is COUNT, SUM ... (lower case).
type Agg struct {
	Func     string
	Distinct bool
	Args     []Span
	// Supported reports that the router may merge it (COUNT, SUM, AVG, MIN,
	// MAX, and COUNT(DISTINCT x) of one expression).
	Supported bool
}

// OrderItem is one ORDER BY item.
type OrderItem struct {
	Expr Expr
	Desc bool
}

// Having is the HAVING clause: its tokens (HAVING included) and, when it is
// a conjunction of "expression op constant", those conditions (Simple).
type Having struct {
	Clause Span
	Conds  []HavingCond
	Simple bool
}

// HavingCond is Expr Op Value (Op one of = <> < <= > >=).
type HavingCond struct {
	Expr  Expr
	Op    string
	Value Value
}

// Limit is the LIMIT clause: its tokens and values (Offset.Kind is
// ValExpr when absent). Simple reports LIMIT with literal or '?' values.
type Limit struct {
	Clause        Span
	Count, Offset Value
	Simple        bool
}

// fieldSpans returns the spans of sel's fields and the token after the
// last one.
func (a *analyzer) fieldSpans(sel *ast.SelectStmt) ([]Span, int) {
	fs := sel.Fields.Fields
	starts := make([]int, len(fs))
	for i, f := range fs {
		starts[i] = a.p.tokenAt(f.Offset)
		if starts[i] < 0 {
			return nil, -1
		}
	}
	spans := make([]Span, len(fs))
	for i := range fs {
		end := 0
		if i+1 < len(fs) {
			end = starts[i+1] - 1 // the comma
		} else {
			end = a.t.scanEnd(starts[i], false)
		}
		if end <= starts[i] {
			return nil, -1
		}
		spans[i] = Span{starts[i], end}
	}
	return spans, spans[len(spans)-1].To
}

// selectInfo records what a scattered run of sel rewrites; a non-empty
// string says why sel cannot run on several partitions.
func (a *analyzer) selectInfo(sel *ast.SelectStmt) (*SelectInfo, string) {
	spans, end := a.fieldSpans(sel)
	if spans == nil {
		return nil, "this select list across shards (its fields could not be located)"
	}
	info := &SelectInfo{FieldsEnd: end, Distinct: sel.Distinct}
	if sel.SelectStmtOpts != nil && sel.SelectStmtOpts.CalcFoundRows {
		info.CalcFoundRows = true
	}
	for i, f := range sel.Fields.Fields {
		fd := Field{Span: spans[i], Alias: f.AsName.L}
		if f.WildCard != nil {
			fd.Wildcard = true
		} else {
			exprEnd := spans[i].To
			if f.AsName.L != "" {
				exprEnd-- // the alias
				if a.t.is(exprEnd-1, "as") {
					exprEnd--
				}
			}
			fd.Expr = a.expr(f.Expr, Span{spans[i].From, exprEnd})
			info.HasWindow = info.HasWindow || fd.Expr.HasWindow
		}
		info.Fields = append(info.Fields, fd)
	}
	starts := a.t.clauseStarts(end)
	stmtEnd := starts[len(starts)-1]
	info.GroupAt = stmtEnd
	for _, s := range starts[:len(starts)-1] {
		if w := strings.ToLower(a.t.tok(s)); a.t.Toks[s].Kind == sqllex.Ident &&
			(w == "having" || w == "window" || w == "order" || w == "limit" || w == "for" || w == "lock" || w == "into" || w == "procedure") {
			info.GroupAt = s
			break
		}
	}
	if sel.GroupBy != nil {
		info.Rollup = sel.GroupBy.Rollup
		items, ok := a.byItems(starts, "group", sel.GroupBy.Items)
		if !ok {
			return nil, "this GROUP BY across shards (its items could not be located)"
		}
		for _, it := range items {
			info.GroupBy = append(info.GroupBy, it.Expr)
		}
		if n := len(items); n > 0 {
			info.GroupByEnd = items[n-1].end
		}
	}
	if sel.Having != nil {
		h := &Having{Simple: true}
		start := a.p.tokenAt(sel.Having.Expr.OriginTextPosition())
		if start < 1 || !a.t.is(start-1, "having") {
			return nil, "this HAVING across shards (it could not be located)"
		}
		h.Clause = Span{start - 1, nextClause(starts, start)}
		for _, c := range conjuncts(sel.Having.Expr, nil) {
			hc, ok := a.havingCond(c)
			if !ok {
				h.Simple = false
				break
			}
			h.Conds = append(h.Conds, hc)
		}
		info.Having = h
	}
	if sel.OrderBy != nil {
		items, ok := a.byItems(starts, "order", sel.OrderBy.Items)
		if !ok {
			return nil, "this ORDER BY across shards (its items could not be located)"
		}
		for _, it := range items {
			info.OrderBy = append(info.OrderBy, OrderItem{Expr: it.Expr, Desc: it.desc})
			info.HasWindow = info.HasWindow || it.Expr.HasWindow
		}
	}
	if sel.Limit != nil {
		lim, ok := a.limit(starts)
		if !ok {
			return nil, "this LIMIT across shards"
		}
		info.Limit = lim
	}
	return info, ""
}

type byItem struct {
	Expr Expr
	desc bool
	end  int // the token after the item (ASC/DESC included)
}

// byItems locates the items of the GROUP BY or ORDER BY clause (word is
// "group" or "order") among the clause starts: the clause is split at its
// commas, and the i-th piece is the i-th item. ORDER BY n and GROUP BY n
// name a select field by a literal, which another text of the same shape
// may change: such an analysis is not shared (textBound).
func (a *analyzer) byItems(starts []int, word string, items []*ast.ByItem) ([]byItem, bool) {
	at := -1
	for _, s := range starts {
		if a.t.is(s, word) && a.t.is(s+1, "by") {
			at = s
			break
		}
	}
	if at < 0 {
		return nil, false
	}
	end := nextClause(starts, at)
	out := make([]byItem, 0, len(items))
	from := at + 2
	for _, it := range items {
		if from >= end {
			return nil, false
		}
		stop := a.t.scanEnd(from, true)
		if stop > end {
			stop = end
		}
		exprEnd := stop
		if a.t.is(exprEnd-1, "asc") || a.t.is(exprEnd-1, "desc") {
			exprEnd--
		}
		if exprEnd <= from {
			return nil, false
		}
		x := a.expr(it.Expr, Span{from, exprEnd})
		if p, ok := it.Expr.(*ast.PositionExpr); ok {
			if p.P != nil {
				return nil, false
			}
			a.st.textBound = true
			x.Position = p.N
		}
		out = append(out, byItem{Expr: x, desc: it.Desc, end: stop})
		from = stop + 1
	}
	return out, true
}

// expr records what the router needs of expression e written at sp.
func (a *analyzer) expr(e ast.ExprNode, sp Span) Expr {
	x := Expr{Span: sp, Key: a.t.exprKey(sp.From, sp.To)}
	switch v := e.(type) {
	case *ast.ColumnNameExpr:
		x.Column = &ColumnRef{Table: v.Name.Table.L, Name: v.Name.Name.L}
	case *ast.AggregateFuncExpr:
		x.Agg = a.agg(v, sp)
	case *driver.ValueExpr, *driver.ParamMarkerExpr:
		x.Const = true
	}
	x.HasAgg = contains(e, isAgg)
	x.HasWindow = contains(e, isWindow)
	return x
}

// agg records an aggregate call written at sp.
func (a *analyzer) agg(f *ast.AggregateFuncExpr, sp Span) *Agg {
	g := &Agg{Func: strings.ToLower(f.F), Distinct: f.Distinct}
	open := sp.From + 1
	if !a.t.op(open, "(") || a.t.closeParen(open) != sp.To-1 {
		return g
	}
	// the arguments: split at the commas of the call's own level, after
	// DISTINCT / ALL
	from := open + 1
	if a.t.is(from, "distinct") || a.t.is(from, "all") {
		from++
	}
	for from < sp.To-1 {
		end := a.t.scanEnd(from, true)
		if end > sp.To-1 {
			end = sp.To - 1
		}
		g.Args = append(g.Args, Span{from, end})
		from = end + 1
	}
	switch g.Func {
	case "count", "sum", "avg", "min", "max":
		g.Supported = len(g.Args) == len(f.Args) && !anyContains(f.Args, isAgg) && !anyContains(f.Args, isWindow) &&
			(!g.Distinct || (g.Func == "count" && len(g.Args) == 1))
	}
	return g
}

func anyContains(es []ast.ExprNode, match func(ast.Node) bool) bool {
	for _, e := range es {
		if contains(e, match) {
			return true
		}
	}
	return false
}

var opText = map[opcode.Op]string{opcode.EQ: "=", opcode.NE: "<>", opcode.LT: "<", opcode.LE: "<=",
	opcode.GT: ">", opcode.GE: ">="}
var opSwap = map[string]string{"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}

// havingCond reads "expr op constant" (either side).
func (a *analyzer) havingCond(e ast.ExprNode) (HavingCond, bool) {
	be, ok := unparen(e).(*ast.BinaryOperationExpr)
	if !ok {
		return HavingCond{}, false
	}
	op, ok := opText[be.Op]
	if !ok {
		return HavingCond{}, false
	}
	side, other := be.L, be.R
	if v := a.value(be.L); v.Kind != ValExpr {
		side, other = be.R, be.L
		op = opSwap[op]
	}
	v := a.value(other)
	if v.Kind == ValExpr || isConst(side) {
		return HavingCond{}, false
	}
	side = unparen(side)
	start := a.p.tokenAt(side.OriginTextPosition())
	if start < 0 {
		return HavingCond{}, false
	}
	end := a.exprEnd(side, start)
	if end <= start {
		return HavingCond{}, false
	}
	return HavingCond{Expr: a.expr(side, Span{start, end}), Op: op, Value: v}, true
}

// exprEnd returns the token after expression e, which starts at token
// start: the end of a column reference or a call; -1 for other forms.
func (a *analyzer) exprEnd(e ast.ExprNode, start int) int {
	switch v := e.(type) {
	case *ast.ColumnNameExpr:
		n := 1
		if v.Name.Table.L != "" {
			n += 2
		}
		if v.Name.Schema.L != "" {
			n += 2
		}
		return start + n
	case *ast.AggregateFuncExpr, *ast.FuncCallExpr:
		if a.t.op(start+1, "(") {
			if c := a.t.closeParen(start + 1); c > 0 {
				return c + 1
			}
		}
	}
	return -1
}

// limit reads the LIMIT clause of the statement (count, offset).
func (a *analyzer) limit(starts []int) (*Limit, bool) {
	at := -1
	for _, s := range starts {
		if a.t.is(s, "limit") {
			at = s
		}
	}
	if at < 0 {
		return nil, false
	}
	end := nextClause(starts, at)
	for _, s := range starts {
		if s > at && (a.t.is(s, "for") || a.t.is(s, "lock") || a.t.is(s, "into") || a.t.is(s, "procedure") || s == starts[len(starts)-1]) {
			end = s
			break
		}
	}
	lim := &Limit{Clause: Span{at, end}, Offset: Value{Kind: ValExpr}}
	val := func(i int) Value {
		switch {
		case a.t.kind(i) == sqllex.Int:
			return Value{Kind: ValLiteral, Tok: i}
		case a.t.kind(i) == sqllex.Param:
			return Value{Kind: ValParam, P: a.t.ParamOrdinal(i)}
		}
		return Value{Kind: ValExpr}
	}
	n := end - at - 1
	switch {
	case n == 1:
		lim.Count = val(at + 1)
	case n == 3 && a.t.op(at+2, ","):
		lim.Offset, lim.Count = val(at+1), val(at+3)
	case n == 3 && a.t.is(at+2, "offset"):
		lim.Count, lim.Offset = val(at+1), val(at+3)
	default:
		return lim, true // LIMIT ROWS EXAMINED and other forms: not Simple
	}
	lim.Simple = lim.Count.Kind != ValExpr && (lim.Offset.Kind != ValExpr || n == 1)
	return lim, true
}

func isConst(e ast.ExprNode) bool {
	switch e.(type) {
	case *driver.ValueExpr, *driver.ParamMarkerExpr:
		return true
	}
	return false
}

type findVisitor struct {
	match func(ast.Node) bool
	found bool
}

func (v *findVisitor) Enter(n ast.Node) (ast.Node, bool) {
	if v.found {
		return n, true
	}
	if v.match(n) {
		v.found = true
		return n, true
	}
	// aggregates of a subquery belong to the subquery
	if _, ok := n.(*ast.SubqueryExpr); ok {
		return n, true
	}
	return n, false
}
func (v *findVisitor) Leave(n ast.Node) (ast.Node, bool) { return n, true }

func contains(e ast.Node, match func(ast.Node) bool) bool {
	if e == nil {
		return false
	}
	v := &findVisitor{match: match}
	e.Accept(v)
	return v.found
}

func isAgg(n ast.Node) bool    { _, ok := n.(*ast.AggregateFuncExpr); return ok }
func isWindow(n ast.Node) bool { _, ok := n.(*ast.WindowFuncExpr); return ok }

// lastIDColumns returns the fields of a SELECT that only reads the
// session's last insert id (LAST_INSERT_ID(), @@last_insert_id,
// @@identity), or nil for any other SELECT.
func (a *analyzer) lastIDColumns(x *ast.SelectStmt) []Field {
	if x.Fields == nil || len(x.Fields.Fields) == 0 || x.Where != nil || x.GroupBy != nil ||
		x.Having != nil || x.OrderBy != nil || x.Limit != nil || x.With != nil || x.LockInfo != nil || x.Kind != ast.SelectStmtKindSelect {
		return nil
	}
	if x.From != nil {
		if ts, ok := x.From.TableRefs.Left.(*ast.TableSource); !ok || x.From.TableRefs.Right != nil {
			return nil
		} else if tn, ok := ts.Source.(*ast.TableName); !ok || tn.Name.L != "dual" || tn.Schema.L != "" {
			return nil
		}
	}
	spans, _ := a.fieldSpans(x)
	if spans == nil {
		return nil
	}
	cols := make([]Field, 0, len(x.Fields.Fields))
	for i, f := range x.Fields.Fields {
		if f.WildCard != nil || !isLastID(f.Expr) {
			return nil
		}
		cols = append(cols, Field{Span: spans[i], Alias: f.AsName.O})
	}
	return cols
}

// isLastID reports LAST_INSERT_ID() (no argument), @@last_insert_id or
// @@identity (session scope).
func isLastID(e ast.ExprNode) bool {
	switch x := unparen(e).(type) {
	case *ast.FuncCallExpr:
		return x.FnName.L == "last_insert_id" && len(x.Args) == 0
	case *ast.VariableExpr:
		n := strings.ToLower(x.Name)
		return x.IsSystem && !x.IsGlobal && (n == "last_insert_id" || n == "identity")
	}
	return false
}
