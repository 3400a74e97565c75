package sqlparse

import (
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	driver "github.com/pingcap/tidb/pkg/parser/test_driver"
)

// A scattered SELECT runs on several partitions and its results are merged:
//   - ORDER BY is pushed down; a sort key that is not a select field becomes a
//     hidden trailing column;
//   - LIMIT count OFFSET off is pushed down as LIMIT off+count (a HoleLimit
//     filled at plan time, since count and off may be '?'); the merge applies
//     the offset and the limit. With GROUP BY or aggregates, or DISTINCT with
//     hidden columns, LIMIT is not pushed down at all;
//   - COUNT/SUM/MIN/MAX are combined; AVG(x) is pushed down as SUM(x) with a
//     hidden COUNT(x); COUNT(DISTINCT x) in the select list is pushed down as
//     x with x added to GROUP BY, and the merge counts the distinct values;
//   - GROUP BY is pushed down (group keys not in the select list become
//     hidden columns); HAVING is removed from the pushed query and evaluated by
//     the merge when it is a conjunction of "column-or-aggregate op constant";
//   - DISTINCT is pushed down and applied again by the merge.

type colKind uint8

const (
	cField  colKind = iota // select field i
	cHidden                // hidden column i
	cAbs                   // absolute column index i (ORDER BY n)
)

type scol struct {
	kind colKind
	i    int
}

type hiddenCol struct {
	expr ast.ExprNode
	key  string
}

type sagg struct {
	fn    AggFunc
	col   scol
	count scol
	name  string
}

type shaving struct {
	col scol
	op  string
	val Value
}

type sorder struct {
	col  scol
	desc bool
}

type scatterPlan struct {
	sel        *ast.SelectStmt
	fields     []*ast.SelectField
	texts      []string
	wcBefore   []bool
	wcAfter    []bool
	wildcard   bool
	avg        []int
	countDist  []int // select fields that are COUNT(DISTINCT x)
	hidden     []hiddenCol
	aggs       []sagg
	groupBy    []scol
	having     []shaving
	order      []sorder
	dropHaving bool
	limitMode  int // 0 none, 1 removed, 2 hole
	limit      *Value
	offset     *Value
}

func exprText(e ast.Node) string {
	var b strings.Builder
	if err := e.Restore(format.NewRestoreCtx(RestoreFlags, &b)); err != nil {
		return "\x00err"
	}
	return strings.ToLower(b.String())
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

func aggFuncOf(f *ast.AggregateFuncExpr) (AggFunc, string) {
	name := strings.ToLower(f.F)
	switch name {
	case "count", "sum", "avg":
		if f.Distinct {
			return 0, strings.ToUpper(name) + "(DISTINCT ...) across shards"
		}
		switch name {
		case "count":
			return AggCount, ""
		case "sum":
			return AggSum, ""
		}
		return AggAvg, ""
	case "min":
		return AggMin, ""
	case "max":
		return AggMax, ""
	}
	return 0, strings.ToUpper(name) + "() across shards"
}

func (a *analyzer) planScatter(sel *ast.SelectStmt) (*scatterPlan, string) {
	sp := &scatterPlan{sel: sel, fields: sel.Fields.Fields}
	nf := len(sp.fields)
	sp.texts = make([]string, nf)
	sp.wcBefore = make([]bool, nf)
	sp.wcAfter = make([]bool, nf)
	seen := false
	for i, f := range sp.fields {
		sp.wcBefore[i] = seen
		if f.WildCard != nil {
			seen = true
		}
	}
	sp.wildcard = seen
	seen = false
	for i := nf - 1; i >= 0; i-- {
		sp.wcAfter[i] = seen
		if sp.fields[i].WildCard != nil {
			seen = true
		}
	}
	hasAgg := false
	for i, f := range sp.fields {
		if f.WildCard != nil {
			continue
		}
		if contains(f.Expr, isWindow) {
			return nil, "window functions across shards"
		}
		sp.texts[i] = exprText(f.Expr)
		if agg, ok := f.Expr.(*ast.AggregateFuncExpr); ok && agg.Distinct && strings.EqualFold(agg.F, ast.AggFuncCount) {
			if len(agg.Args) != 1 || contains(agg.Args[0], isAgg) || contains(agg.Args[0], isWindow) {
				return nil, "COUNT(DISTINCT ...) of several expressions across shards"
			}
			hasAgg = true
			sp.countDist = append(sp.countDist, i)
			name := f.AsName.O
			if name == "" {
				name = f.Text()
			}
			sp.aggs = append(sp.aggs, sagg{fn: AggCountDistinct, col: scol{cField, i}, name: name})
		} else if agg, ok := f.Expr.(*ast.AggregateFuncExpr); ok {
			fn, msg := aggFuncOf(agg)
			if msg != "" {
				return nil, msg
			}
			hasAgg = true
			ag := sagg{fn: fn, col: scol{cField, i}}
			if fn == AggAvg {
				sp.avg = append(sp.avg, i)
				ag.count = sp.addHidden(&ast.AggregateFuncExpr{F: ast.AggFuncCount, Args: agg.Args}, "")
				ag.name = f.AsName.O
				if ag.name == "" {
					ag.name = f.Text()
				}
			}
			sp.aggs = append(sp.aggs, ag)
		} else if contains(f.Expr, isAgg) {
			return nil, "an aggregate function inside an expression across shards"
		}
	}
	if sel.Having != nil && contains(sel.Having.Expr, isAgg) {
		hasAgg = true
	}
	if sel.OrderBy != nil {
		for _, it := range sel.OrderBy.Items {
			if contains(it.Expr, isAgg) {
				hasAgg = true
			}
		}
	}
	hasGroup := sel.GroupBy != nil && len(sel.GroupBy.Items) > 0
	if hasGroup {
		if sel.GroupBy.Rollup {
			return nil, "GROUP BY ... WITH ROLLUP across shards"
		}
		for _, it := range sel.GroupBy.Items {
			if isConst(it.Expr) {
				continue
			}
			c, msg := sp.column(it.Expr)
			if msg != "" {
				return nil, msg
			}
			sp.groupBy = append(sp.groupBy, c)
		}
	}
	if sel.Having != nil && (hasGroup || hasAgg) {
		for _, cj := range conjuncts(sel.Having.Expr, nil) {
			h, ok := a.havingCond(sp, cj)
			if !ok {
				return nil, "this HAVING condition across shards (only column-or-aggregate op constant)"
			}
			sp.having = append(sp.having, h)
		}
		sp.dropHaving = true
	}
	if sel.OrderBy != nil {
		for _, it := range sel.OrderBy.Items {
			if isConst(it.Expr) {
				continue
			}
			c, msg := sp.column(it.Expr)
			if msg != "" {
				return nil, msg
			}
			sp.order = append(sp.order, sorder{col: c, desc: it.Desc})
		}
	}
	if sel.Limit != nil {
		cnt := a.value(sel.Limit.Count)
		if !limitValue(cnt) {
			return nil, "this LIMIT across shards"
		}
		sp.limit = &cnt
		if sel.Limit.Offset != nil {
			off := a.value(sel.Limit.Offset)
			if !limitValue(off) {
				return nil, "this LIMIT across shards"
			}
			sp.offset = &off
		}
		if hasGroup || hasAgg || (sel.Distinct && len(sp.hidden) > 0) {
			sp.limitMode = 1
		} else {
			sp.limitMode = 2
		}
	}
	// positions must be computable
	for _, c := range sp.allCols() {
		if c.kind == cField && sp.wcBefore[c.i] && sp.wcAfter[c.i] {
			return nil, "a select list with several wildcards across shards"
		}
	}
	return sp, ""
}

func limitValue(v Value) bool {
	switch v.Kind {
	case ValInt:
		return v.I >= 0
	case ValUint, ValParam:
		return true
	}
	return false
}

func isConst(e ast.ExprNode) bool {
	switch e.(type) {
	case *driver.ValueExpr, *driver.ParamMarkerExpr:
		return true
	}
	return false
}

func (sp *scatterPlan) allCols() []scol {
	var out []scol
	for _, ag := range sp.aggs {
		out = append(out, ag.col)
	}
	out = append(out, sp.groupBy...)
	for _, h := range sp.having {
		out = append(out, h.col)
	}
	for _, o := range sp.order {
		out = append(out, o.col)
	}
	return out
}

func (sp *scatterPlan) addHidden(e ast.ExprNode, key string) scol {
	if key == "" {
		key = exprText(e)
	}
	for i, h := range sp.hidden {
		if h.key == key {
			return scol{cHidden, i}
		}
	}
	sp.hidden = append(sp.hidden, hiddenCol{expr: e, key: key})
	return scol{cHidden, len(sp.hidden) - 1}
}

// lookup finds the select field an expression refers to.
func (sp *scatterPlan) lookup(e ast.ExprNode) (scol, bool) {
	switch x := e.(type) {
	case *ast.PositionExpr:
		if x.P != nil {
			return scol{}, false
		}
		return scol{cAbs, x.N - 1}, true
	case *ast.ColumnNameExpr:
		n := x.Name
		if n.Table.L == "" {
			for i, f := range sp.fields {
				if f.WildCard == nil && f.AsName.L != "" && f.AsName.L == n.Name.L {
					return scol{cField, i}, true
				}
			}
		}
		for i, f := range sp.fields {
			if f.WildCard != nil {
				continue
			}
			if cn, ok := f.Expr.(*ast.ColumnNameExpr); ok && cn.Name.Name.L == n.Name.L &&
				(n.Table.L == "" || cn.Name.Table.L == "" || cn.Name.Table.L == n.Table.L) {
				return scol{cField, i}, true
			}
		}
	}
	t := exprText(e)
	for i, f := range sp.fields {
		if f.WildCard == nil && sp.texts[i] == t {
			return scol{cField, i}, true
		}
	}
	return scol{}, false
}

// column resolves a GROUP BY / ORDER BY / HAVING operand to a column,
// adding a hidden column when it is not in the select list.
func (sp *scatterPlan) column(e ast.ExprNode) (scol, string) {
	if p, ok := e.(*ast.PositionExpr); ok {
		if p.P != nil || p.N < 1 || (!sp.wildcard && p.N > len(sp.fields)) {
			return scol{}, "this ORDER BY / GROUP BY position across shards"
		}
	}
	if c, ok := sp.lookup(e); ok {
		return c, ""
	}
	if agg, ok := e.(*ast.AggregateFuncExpr); ok {
		fn, msg := aggFuncOf(agg)
		if msg != "" {
			return scol{}, msg
		}
		if fn == AggAvg {
			sum := sp.addHidden(&ast.AggregateFuncExpr{F: ast.AggFuncSum, Args: agg.Args}, "sum:"+exprText(agg))
			cnt := sp.addHidden(&ast.AggregateFuncExpr{F: ast.AggFuncCount, Args: agg.Args}, "count:"+exprText(agg))
			sp.aggs = append(sp.aggs, sagg{fn: AggAvg, col: sum, count: cnt})
			return sum, ""
		}
		c := sp.addHidden(agg, "")
		for _, ag := range sp.aggs {
			if ag.col == c {
				return c, ""
			}
		}
		sp.aggs = append(sp.aggs, sagg{fn: fn, col: c})
		return c, ""
	}
	if contains(e, isAgg) {
		return scol{}, "an expression of aggregates in ORDER BY / HAVING across shards"
	}
	if contains(e, isWindow) {
		return scol{}, "window functions across shards"
	}
	return sp.addHidden(e, ""), ""
}

var opText = map[opcode.Op]string{opcode.EQ: "=", opcode.NE: "<>", opcode.LT: "<", opcode.LE: "<=",
	opcode.GT: ">", opcode.GE: ">="}
var opSwap = map[string]string{"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}

func (a *analyzer) havingCond(sp *scatterPlan, e ast.ExprNode) (shaving, bool) {
	be, ok := unparen(e).(*ast.BinaryOperationExpr)
	if !ok {
		return shaving{}, false
	}
	op, ok := opText[be.Op]
	if !ok {
		return shaving{}, false
	}
	side, other := be.L, be.R
	if v := a.value(be.L); v.Kind != ValExpr {
		side, other = be.R, be.L
		op = opSwap[op]
	}
	v := a.value(other)
	if v.Kind == ValExpr || v.Kind == ValHex {
		return shaving{}, false
	}
	if isConst(side) {
		return shaving{}, false
	}
	c, msg := sp.column(unparen(side))
	if msg != "" {
		return shaving{}, false
	}
	return shaving{col: c, op: op, val: v}, true
}

// applyScatter rewrites the SELECT for several partitions and records the
// merge information.
func (a *analyzer) applyScatter(sp *scatterPlan, base *Template) error {
	sel := sp.sel
	nf, nh := len(sp.fields), len(sp.hidden)
	pos := func(c scol) int {
		switch c.kind {
		case cAbs:
			return c.i
		case cHidden:
			if sp.wildcard {
				return c.i - nh
			}
			return nf + c.i
		}
		if !sp.wcBefore[c.i] {
			return c.i
		}
		return c.i - nf - nh
	}
	info := &Scatter{Fields: nf, Hidden: nh, Wildcard: sp.wildcard, Distinct: sel.Distinct,
		Limit: sp.limit, Offset: sp.offset, LimitHole: sp.limitMode == 2}
	for _, c := range sp.groupBy {
		info.GroupBy = append(info.GroupBy, pos(c))
	}
	for _, ag := range sp.aggs {
		out := ScatterAgg{Func: ag.fn, Column: pos(ag.col), Name: ag.name}
		if ag.fn == AggAvg {
			out.CountColumn = pos(ag.count)
		}
		info.Aggs = append(info.Aggs, out)
	}
	for _, h := range sp.having {
		info.Having = append(info.Having, HavingCond{Column: pos(h.col), Op: h.op, Value: h.val})
	}
	for _, o := range sp.order {
		info.OrderBy = append(info.OrderBy, ScatterOrder{Column: pos(o.col), Desc: o.desc})
	}
	a.st.Scatter = info
	if len(sp.avg) == 0 && len(sp.countDist) == 0 && nh == 0 && !sp.dropHaving && sp.limitMode == 0 {
		info.Template = base
		return nil
	}
	// COUNT(DISTINCT x): the targets return x, grouped by it as well, so
	// each distinct value comes at most once per target and group.
	groupBy := sel.GroupBy
	var exprs []ast.ExprNode
	for _, i := range sp.countDist {
		f := sp.fields[i]
		exprs = append(exprs, f.Expr)
		arg := f.Expr.(*ast.AggregateFuncExpr).Args[0]
		f.Expr = arg
		items := []*ast.ByItem{}
		if sel.GroupBy != nil {
			items = append(items, sel.GroupBy.Items...)
		}
		sel.GroupBy = &ast.GroupByClause{Items: append(items, &ast.ByItem{Expr: arg, NullOrder: true})}
	}
	defer func() {
		for j, i := range sp.countDist {
			sp.fields[i].Expr = exprs[j]
		}
		sel.GroupBy = groupBy
	}()
	for _, i := range sp.avg {
		sp.fields[i].Expr.(*ast.AggregateFuncExpr).F = ast.AggFuncSum
	}
	fields := sel.Fields.Fields
	for i, h := range sp.hidden {
		sel.Fields.Fields = append(sel.Fields.Fields, &ast.SelectField{Expr: h.expr,
			AsName: ast.NewCIStr("__sl_h" + strconv.Itoa(i))})
	}
	having, limit := sel.Having, sel.Limit
	if sp.dropHaving {
		sel.Having = nil
	}
	switch sp.limitMode {
	case 1:
		sel.Limit = nil
	case 2:
		sel.Limit = &ast.Limit{Count: a.markerExpr(a.holeMarker(Hole{Kind: HoleLimit}))}
	}
	t, err := a.restore(sel)
	sel.Fields.Fields, sel.Having, sel.Limit = fields, having, limit
	if err != nil {
		return err
	}
	info.Template = t
	return nil
}
