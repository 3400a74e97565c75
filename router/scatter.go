package router

import (
	"math"
	"strconv"
	"strings"

	"github.com/shardline/shardline/sqlparse"
)

// A scattered SELECT runs on several partitions and its results are merged:
//   - ORDER BY is pushed down; a sort key that is not a select field becomes a
//     hidden trailing column;
//   - LIMIT count OFFSET off is pushed down as LIMIT off+count; the merge
//     applies the offset and the limit. With GROUP BY or aggregates, or
//     DISTINCT with hidden columns, LIMIT is not pushed down at all;
//   - COUNT/SUM/MIN/MAX are combined; AVG(x) is pushed down as SUM(x) with a
//     hidden COUNT(x); COUNT(DISTINCT x) in the select list is pushed down as
//     x with x added to GROUP BY, and the merge counts the distinct values;
//   - GROUP BY is pushed down (group keys not in the select list become
//     hidden columns); HAVING is removed from the pushed query and evaluated by
//     the merge when it is a conjunction of "column-or-aggregate op constant";
//   - DISTINCT is pushed down and applied again by the merge.
//
// The pushed-down statement is the client's text with edits: every
// expression the proxy moves or repeats is copied from the client's bytes.

// colKind says what a scatter column position refers to.
type colKind uint8

const (
	colField  colKind = iota // select field i
	colHidden                // hidden column i
	colAbs                   // absolute column index i (ORDER BY n)
)

type scatterCol struct {
	kind colKind
	i    int
}

type hiddenCol struct {
	pieces []sqlparse.Piece
	key    string
}

type scatterAgg struct {
	fn    AggFunc
	col   scatterCol
	count scatterCol
	// name is the field as the client wrote it (AVG and COUNT(DISTINCT),
	// whose pushed-down column the server names otherwise).
	name sqlparse.Span
}

type scatterPlan struct {
	sel       *sqlparse.SelectInfo
	text      *sqlparse.Text
	wcBefore  []bool
	wcAfter   []bool
	wildcard  bool
	avg       []int
	countDist []int
	hidden    []hiddenCol
	aggs      []scatterAgg
	groupBy   []scatterCol
	having    []Condition
	havingCol []scatterCol
	order     []scatterCol
	orderDesc []bool
	dropHave  bool
	limitMode int // 0 none, 1 removed, 2 replaced by HoleLimit
}

var aggFuncs = map[string]AggFunc{"count": AggCount, "sum": AggSum, "min": AggMin, "max": AggMax, "avg": AggAvg}

// planScatter decides how pc's SELECT runs on several partitions: the
// merge, and the edits of the pushed-down statement; limit is the LIMIT
// text to write in place of the client's.
func (pc *pctx) planScatter() (*MergeSpec, *sqlparse.Template, string, error) {
	if pc.st.SelectErr != "" {
		return nil, nil, "", unsupported("%s", pc.st.SelectErr)
	}
	sel := pc.st.Select
	if sel == nil {
		return nil, nil, "", unsupported("this SELECT across shards")
	}
	if sel.CalcFoundRows {
		return nil, nil, "", unsupported("SQL_CALC_FOUND_ROWS across shards")
	}
	sp, why := newScatterPlan(sel, pc.text)
	if why != "" {
		return nil, nil, "", unsupported("%s", why)
	}
	ms, limit, err := pc.mergeOf(sp)
	if err != nil {
		return nil, nil, "", err
	}
	edits, why := sp.edits()
	if why != "" {
		return nil, nil, "", unsupported("%s", why)
	}
	return ms, pc.st.Template.With(edits...), limit, nil
}

func newScatterPlan(sel *sqlparse.SelectInfo, t *sqlparse.Text) (*scatterPlan, string) {
	sp := &scatterPlan{sel: sel, text: t}
	nf := len(sel.Fields)
	sp.wcBefore, sp.wcAfter = make([]bool, nf), make([]bool, nf)
	seen := false
	for i, f := range sel.Fields {
		sp.wcBefore[i] = seen
		seen = seen || f.Wildcard
	}
	sp.wildcard = seen
	seen = false
	for i := nf - 1; i >= 0; i-- {
		sp.wcAfter[i] = seen
		seen = seen || sel.Fields[i].Wildcard
	}
	if sel.HasWindow {
		return nil, "window functions across shards"
	}
	hasAgg := false
	for i, f := range sel.Fields {
		if f.Wildcard {
			continue
		}
		g := f.Expr.Agg
		switch {
		case g != nil && g.Func == "count" && g.Distinct:
			if !g.Supported {
				return nil, "COUNT(DISTINCT ...) of several expressions across shards"
			}
			hasAgg = true
			sp.countDist = append(sp.countDist, i)
			sp.aggs = append(sp.aggs, scatterAgg{fn: AggCountDistinct, col: scatterCol{colField, i}, name: sp.nameOf(i)})
		case g != nil:
			fn, ok := aggFuncs[g.Func]
			if !ok || !g.Supported {
				return nil, aggRefusal(g)
			}
			hasAgg = true
			ag := scatterAgg{fn: fn, col: scatterCol{colField, i}}
			if fn == AggAvg {
				sp.avg = append(sp.avg, i)
				ag.count = sp.addHidden(callPieces("COUNT", g.Args), "count:"+f.Expr.Key)
				ag.name = sp.nameOf(i)
			}
			sp.aggs = append(sp.aggs, ag)
		case f.Expr.HasAgg:
			return nil, "an aggregate function inside an expression across shards"
		}
	}
	if h := sel.Having; h != nil {
		for _, c := range h.Conds {
			hasAgg = hasAgg || c.Expr.HasAgg
		}
		hasAgg = hasAgg || !h.Simple
	}
	for _, o := range sel.OrderBy {
		hasAgg = hasAgg || o.Expr.HasAgg
	}
	hasGroup := len(sel.GroupBy) > 0
	if sel.Rollup {
		return nil, "GROUP BY ... WITH ROLLUP across shards"
	}
	for _, g := range sel.GroupBy {
		if g.Const {
			continue
		}
		c, why := sp.column(g)
		if why != "" {
			return nil, why
		}
		sp.groupBy = append(sp.groupBy, c)
	}
	if h := sel.Having; h != nil && (hasGroup || hasAgg) {
		if !h.Simple {
			return nil, "this HAVING condition across shards (only column-or-aggregate op constant)"
		}
		for _, cond := range h.Conds {
			if cond.Expr.Const {
				return nil, "this HAVING condition across shards (only column-or-aggregate op constant)"
			}
			c, why := sp.column(cond.Expr)
			if why != "" {
				return nil, "this HAVING condition across shards (only column-or-aggregate op constant)"
			}
			sp.havingCol = append(sp.havingCol, c)
			sp.having = append(sp.having, Condition{Op: cond.Op})
		}
		sp.dropHave = true
	}
	for _, o := range sel.OrderBy {
		if o.Expr.Const {
			continue
		}
		if o.Expr.Position > 0 && (o.Expr.Position < 1 || (!sp.wildcard && o.Expr.Position > nf)) {
			return nil, "this ORDER BY / GROUP BY position across shards"
		}
		c, why := sp.column(o.Expr)
		if why != "" {
			return nil, why
		}
		sp.order = append(sp.order, c)
		sp.orderDesc = append(sp.orderDesc, o.Desc)
	}
	if sel.Limit != nil {
		if !sel.Limit.Simple {
			return nil, "this LIMIT across shards"
		}
		if hasGroup || hasAgg || (sel.Distinct && len(sp.hidden) > 0) {
			sp.limitMode = 1
		} else {
			sp.limitMode = 2
		}
	}
	for _, c := range sp.allCols() {
		if c.kind == colField && sp.wcBefore[c.i] && sp.wcAfter[c.i] {
			return nil, "a select list with several wildcards across shards"
		}
	}
	return sp, ""
}

func aggRefusal(g *sqlparse.Agg) string {
	name := strings.ToUpper(g.Func)
	if g.Distinct {
		return name + "(DISTINCT ...) across shards"
	}
	return name + "() across shards"
}

// nameOf is the span of field i that names its column: the alias (the
// server names the column after it anyway), else the field as written.
func (sp *scatterPlan) nameOf(i int) sqlparse.Span {
	return sp.sel.Fields[i].Expr.Span
}

func callPieces(fn string, args []sqlparse.Span) []sqlparse.Piece {
	ps := []sqlparse.Piece{{Text: fn + "("}}
	for i, a := range args {
		if i > 0 {
			ps = append(ps, sqlparse.Piece{Text: ","})
		}
		ps = append(ps, sqlparse.Piece{From: a.From, To: a.To})
	}
	return append(ps, sqlparse.Piece{Text: ")"})
}

func (sp *scatterPlan) allCols() []scatterCol {
	var out []scatterCol
	for _, ag := range sp.aggs {
		out = append(out, ag.col)
	}
	out = append(out, sp.groupBy...)
	out = append(out, sp.havingCol...)
	return append(out, sp.order...)
}

func (sp *scatterPlan) addHidden(pieces []sqlparse.Piece, key string) scatterCol {
	for i, h := range sp.hidden {
		if h.key == key {
			return scatterCol{colHidden, i}
		}
	}
	sp.hidden = append(sp.hidden, hiddenCol{pieces: pieces, key: key})
	return scatterCol{colHidden, len(sp.hidden) - 1}
}

// lookup finds the select field an expression refers to.
func (sp *scatterPlan) lookup(e sqlparse.Expr) (scatterCol, bool) {
	if e.Position > 0 {
		return scatterCol{colAbs, e.Position - 1}, true
	}
	fields := sp.sel.Fields
	if c := e.Column; c != nil {
		if c.Table == "" {
			for i, f := range fields {
				if !f.Wildcard && f.Alias != "" && f.Alias == c.Name {
					return scatterCol{colField, i}, true
				}
			}
		}
		for i, f := range fields {
			if fc := f.Expr.Column; !f.Wildcard && fc != nil && fc.Name == c.Name &&
				(c.Table == "" || fc.Table == "" || fc.Table == c.Table) {
				return scatterCol{colField, i}, true
			}
		}
	}
	for i, f := range fields {
		if !f.Wildcard && f.Expr.Key == e.Key {
			return scatterCol{colField, i}, true
		}
	}
	return scatterCol{}, false
}

// column resolves a GROUP BY / ORDER BY / HAVING operand to a column,
// adding a hidden column when it is not in the select list.
func (sp *scatterPlan) column(e sqlparse.Expr) (scatterCol, string) {
	if c, ok := sp.lookup(e); ok {
		return c, ""
	}
	if e.Position > 0 {
		return scatterCol{}, "this ORDER BY / GROUP BY position across shards"
	}
	whole := []sqlparse.Piece{{From: e.Span.From, To: e.Span.To}}
	if g := e.Agg; g != nil {
		fn, ok := aggFuncs[g.Func]
		if !ok || !g.Supported || g.Distinct {
			return scatterCol{}, aggRefusal(g)
		}
		if fn == AggAvg {
			sum := sp.addHidden(callPieces("SUM", g.Args), "sum:"+e.Key)
			cnt := sp.addHidden(callPieces("COUNT", g.Args), "count:"+e.Key)
			sp.aggs = append(sp.aggs, scatterAgg{fn: AggAvg, col: sum, count: cnt})
			return sum, ""
		}
		c := sp.addHidden(whole, e.Key)
		for _, ag := range sp.aggs {
			if ag.col == c {
				return c, ""
			}
		}
		sp.aggs = append(sp.aggs, scatterAgg{fn: fn, col: c})
		return c, ""
	}
	if e.HasAgg {
		return scatterCol{}, "an expression of aggregates in ORDER BY / HAVING across shards"
	}
	if e.HasWindow {
		return scatterCol{}, "window functions across shards"
	}
	return sp.addHidden(whole, e.Key), ""
}

// pos is the column index a scatter column has in the pushed-down result
// (counted from the end, < 0, after a wildcard).
func (sp *scatterPlan) pos(c scatterCol) int {
	nf, nh := len(sp.sel.Fields), len(sp.hidden)
	switch c.kind {
	case colAbs:
		return c.i
	case colHidden:
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

// mergeOf builds the merge and the pushed-down LIMIT text.
func (pc *pctx) mergeOf(sp *scatterPlan) (*MergeSpec, string, error) {
	sel := sp.sel
	nf, nh := len(sel.Fields), len(sp.hidden)
	ms := &MergeSpec{Limit: -1, Distinct: sel.Distinct}
	if nh > 0 {
		if sp.wildcard {
			ms.HiddenColumns = nh
		} else {
			ms.OutputColumns = nf
		}
	}
	for _, c := range sp.groupBy {
		ms.GroupBy = append(ms.GroupBy, sp.pos(c))
	}
	for _, ag := range sp.aggs {
		out := Aggregate{Func: ag.fn, Column: sp.pos(ag.col)}
		if ag.name.To > ag.name.From {
			f := sel.Fields[ag.col.i]
			if f.Alias == "" {
				out.Name = pc.text.Span(ag.name.From, ag.name.To)
			}
		}
		if ag.fn == AggAvg {
			out.CountColumn = sp.pos(ag.count)
		}
		ms.Aggregates = append(ms.Aggregates, out)
	}
	for i, c := range sp.havingCol {
		cond := sp.having[i]
		cond.Column = sp.pos(c)
		v, ok := pc.goValue(sel.Having.Conds[i].Value)
		if !ok {
			return nil, "", unsupported("this HAVING condition across shards (a hex or bit value)")
		}
		cond.Value = v
		ms.Having = append(ms.Having, cond)
	}
	for i, c := range sp.order {
		ms.OrderBy = append(ms.OrderBy, OrderColumn{Column: sp.pos(c), Desc: sp.orderDesc[i]})
	}
	limit := ""
	if l := sel.Limit; l != nil {
		cnt, err := pc.uintOf(l.Count)
		if err != nil {
			return nil, "", err
		}
		var off uint64
		if l.Offset.Kind != sqlparse.ValExpr {
			if off, err = pc.uintOf(l.Offset); err != nil {
				return nil, "", err
			}
		}
		if cnt > math.MaxInt64 {
			ms.Limit = -1
		} else {
			ms.Limit = int64(cnt)
		}
		ms.Offset = int64(min(off, uint64(math.MaxInt64)))
		if sp.limitMode == 2 {
			limit = "LIMIT " + strconv.FormatUint(satAdd(off, cnt), 10)
		}
	}
	return ms, limit, nil
}

// edits are the changes of the client's SELECT for its targets.
func (sp *scatterPlan) edits() ([]sqlparse.Edit, string) {
	sel, t := sp.sel, sp.text
	var out []sqlparse.Edit
	// COUNT(DISTINCT x): the targets return x, grouped by it as well, so
	// each distinct value comes at most once per target and group.
	for _, i := range sp.countDist {
		f := sel.Fields[i]
		arg := f.Expr.Agg.Args[0]
		out = append(out, sqlparse.Edit{From: f.Expr.Span.From, To: f.Expr.Span.To,
			Pieces: []sqlparse.Piece{{From: arg.From, To: arg.To}}})
		if len(sel.GroupBy) > 0 {
			out = append(out, sqlparse.Edit{From: sel.GroupByEnd, To: sel.GroupByEnd,
				Pieces: []sqlparse.Piece{{Text: ", "}, {From: arg.From, To: arg.To}}})
		} else {
			out = append(out, sqlparse.Edit{From: sel.GroupAt, To: sel.GroupAt,
				Pieces: []sqlparse.Piece{{Text: " GROUP BY "}, {From: arg.From, To: arg.To}}})
		}
	}
	for _, i := range sp.avg {
		from := sel.Fields[i].Expr.Span.From // AVG becomes SUM; the hidden COUNT comes after
		out = append(out, sqlparse.Edit{From: from, To: from + 1, Pieces: []sqlparse.Piece{{Text: "SUM"}}})
	}
	if len(sp.hidden) > 0 {
		var ps []sqlparse.Piece
		for i, h := range sp.hidden {
			ps = append(ps, sqlparse.Piece{Text: ", "})
			ps = append(ps, h.pieces...)
			ps = append(ps, sqlparse.Piece{Text: " AS `__sl_h" + strconv.Itoa(i) + "`"})
		}
		out = append(out, sqlparse.Edit{From: sel.FieldsEnd, To: sel.FieldsEnd, Pieces: ps})
	}
	if sp.dropHave {
		h := sel.Having.Clause
		out = append(out, sqlparse.Edit{From: h.From, To: h.To, Pieces: []sqlparse.Piece{{Text: " "}}})
	}
	switch sp.limitMode {
	case 1:
		l := sel.Limit.Clause
		out = append(out, sqlparse.Edit{From: l.From, To: l.To, Pieces: []sqlparse.Piece{{Text: " "}}})
	case 2:
		l := sel.Limit.Clause
		out = append(out, sqlparse.Edit{From: l.From, To: l.To, Hole: sqlparse.Hole{Kind: sqlparse.HoleLimit}})
	}
	for _, e := range out {
		if t.ExecMarkersIn(e.From, e.To) {
			return nil, "an executable comment around a clause the proxy rewrites across shards"
		}
	}
	return out, ""
}
