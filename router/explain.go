package router

import (
	"fmt"
	"strings"
)

// Explain describes a plan as the result of EXPLAIN FORMAT=SHARDLINE: the
// columns (shard, sql), one row per target, and a last row ("merge", ...)
// when rows are merged. A plan the proxy carries out itself has one row
// with an empty shard that names what the proxy does.
func Explain(pl Plan) *StaticResult {
	res := &StaticResult{Columns: []string{"shard", "sql"}}
	note := func(s string) { res.Rows = append(res.Rows, []any{"", s}) }
	targets := func(ts []Target) {
		for _, t := range ts {
			sql := t.SQL
			if len(t.Args) > 0 {
				sql += " -- args: " + fmt.Sprint(t.Args...)
			}
			res.Rows = append(res.Rows, []any{t.Shard, sql})
		}
	}
	var walk func(Plan)
	walk = func(pl Plan) {
		switch n := pl.(type) {
		case *Route:
			targets([]Target{n.Target})
		case *Scatter:
			targets(n.Targets)
			if len(n.Targets) > 1 {
				res.Rows = append(res.Rows, []any{"merge", describeMerge(n.Merge)})
			}
		case *MultiWrite:
			targets(n.Targets)
		case *DDL:
			targets(n.Targets)
		case *Generate:
			note(fmt.Sprintf("%d values of sequence %s, then planned again with them (filled by the proxy)", n.Count, n.Sequence))
		case *SequencedInsert:
			walk(n.Input)
		case *Static, *LastInsertID:
			note("static result (answered by the proxy)")
		case *Txn:
			note(txnOpName[n.Op] + " (handled by the proxy)")
		case *Set:
			note("SET (handled by the proxy)")
		case *Use:
			note("USE (handled by the proxy)")
		default:
			note("statement (handled by the proxy)")
		}
	}
	walk(pl)
	return res
}

var txnOpName = map[TxnOp]string{TxnBegin: "BEGIN", TxnCommit: "COMMIT", TxnRollback: "ROLLBACK", TxnSavepoint: "SAVEPOINT"}

func describeMerge(m *MergeSpec) string {
	var parts []string
	if m.OutputColumns > 0 {
		parts = append(parts, fmt.Sprintf("output columns %d", m.OutputColumns))
	}
	if m.HiddenColumns > 0 {
		parts = append(parts, fmt.Sprintf("hidden trailing columns %d", m.HiddenColumns))
	}
	if len(m.GroupBy) > 0 {
		parts = append(parts, fmt.Sprintf("group by %v", m.GroupBy))
	}
	names := map[AggFunc]string{AggCount: "count", AggSum: "sum", AggMin: "min", AggMax: "max", AggAvg: "avg",
		AggCountDistinct: "count_distinct"}
	for _, a := range m.Aggregates {
		s := fmt.Sprintf("%s(col %d)", names[a.Func], a.Column)
		if a.Func == AggAvg {
			s = fmt.Sprintf("avg(sum col %d / count col %d)", a.Column, a.CountColumn)
		}
		parts = append(parts, s)
	}
	for _, h := range m.Having {
		parts = append(parts, fmt.Sprintf("having col %d %s %v", h.Column, h.Op, h.Value))
	}
	if m.Distinct {
		parts = append(parts, "distinct")
	}
	for _, o := range m.OrderBy {
		d := "asc"
		if o.Desc {
			d = "desc"
		}
		parts = append(parts, fmt.Sprintf("order by col %d %s", o.Column, d))
	}
	if m.Offset > 0 {
		parts = append(parts, fmt.Sprintf("offset %d", m.Offset))
	}
	if m.Limit >= 0 {
		parts = append(parts, fmt.Sprintf("limit %d", m.Limit))
	}
	if len(parts) == 0 {
		return "concatenate"
	}
	return strings.Join(parts, ", ")
}
