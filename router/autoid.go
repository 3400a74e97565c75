package router

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/shardline/shardline/sqlparse"
)

// Global sequences. An INSERT into a sharded table whose rule names an
// auto_increment column is planned in two steps, so the planner stays free
// of I/O: rows without a value for the column (column missing from the
// list, NULL, DEFAULT, or 0 unless Session.NoAutoValueOnZero) make Plan
// return a Generate node; the proxy takes that many consecutive values of
// the sequence and calls its continuation, which plans the statement with
// them (as Session.AutoIDs). The values are
// written into the physical SQL (the column is appended to the column list
// when missing) before routing, so a generated shard key routes its row.
// Explicit values are kept and routed as given; they do not move the
// sequence (advance it with the admin API after loading explicit ids).

// autoFill says where the generated values of one INSERT go.
type autoFill struct {
	col  string         // the column, quoted
	idx  int            // its position in the column list; -1: appended to every row
	rows []int          // rows that get a generated value, in row order
	ids  []uint64       // Session.AutoIDs; nil until the proxy supplies them
	byID map[int]uint64 // row -> value
}

// autoFill returns the generated values of the INSERT into t, nil when no
// row needs one.
func (pc *pctx) autoFill(t *tref, columns []string) (*autoFill, error) {
	ins := pc.st.Insert
	col := t.rule.rule.AutoIncrement
	if col == "" || columns == nil {
		return nil, nil
	}
	a := &autoFill{col: sqlparse.QuoteName(col), idx: -1}
	for i, c := range columns {
		if strings.EqualFold(c, col) {
			a.idx = i
		}
	}
	for r, row := range ins.Rows {
		if a.idx < 0 || pc.generates(row[a.idx]) {
			a.rows = append(a.rows, r)
		}
	}
	switch {
	case len(a.rows) == 0:
		return nil, nil
	case ins.RowsList.To == 0:
		return nil, unsupported("this INSERT form into %s with generated values of %s", t.String(), col)
	case pc.sess.AutoIDs == nil:
		return a, nil
	case len(pc.sess.AutoIDs) != len(a.rows):
		return nil, mysql.NewError(mysql.ER_UNKNOWN_ERROR,
			fmt.Sprintf("%d generated values of %s for %d rows", len(pc.sess.AutoIDs), col, len(a.rows)))
	}
	a.ids = pc.sess.AutoIDs
	a.byID = make(map[int]uint64, len(a.rows))
	for i, r := range a.rows {
		a.byID[r] = a.ids[i]
	}
	return a, nil
}

// autoRequest is the plan that asks the proxy for the values; its
// continuation plans the statement again with them.
func (pc *pctx) autoRequest(t *tref, a *autoFill) Plan {
	seq := SequenceName(t.rule.schema, t.rule.name)
	return &Generate{Sequence: seq, Count: len(a.rows), Then: func(ids []uint64) (Plan, error) {
		if len(ids) != len(a.rows) {
			return nil, mysql.NewError(mysql.ER_UNKNOWN_ERROR,
				fmt.Sprintf("sequence %s: %d values for %d rows", seq, len(ids), len(a.rows)))
		}
		s := pc.sess
		s.AutoIDs = ids
		next := &pctx{c: pc.c, st: pc.st, text: pc.text, args: pc.args, sess: s}
		pl, err := next.plan()
		if _, again := pl.(*Generate); err == nil && again {
			return nil, mysql.NewError(mysql.ER_UNKNOWN_ERROR, "sequence "+seq+": the plan did not take the generated values")
		}
		return pl, err
	}}
}

// SequenceName is the name of the global sequence of a sharded table (its
// logical schema and table as in the shard map), used with the admin API
// (POST /v1/sequences/{name}).
func SequenceName(schema, table string) string { return schema + "." + table }

// generates reports whether a value given for the auto_increment column
// asks for a generated one, as in MySQL.
func (pc *pctx) generates(v sqlparse.Value) bool {
	zeroOK := !pc.sess.NoAutoValueOnZero
	switch v.Kind {
	case sqlparse.ValNull, sqlparse.ValDefault:
		return true
	case sqlparse.ValLiteral:
		l := pc.lit(v)
		switch l.Kind {
		case sqlparse.LitInt:
			return zeroOK && !l.Unsigned && l.I == 0
		case sqlparse.LitString:
			return zeroOK && string(l.Bytes) == "0"
		}
	case sqlparse.ValParam:
		if pc.args == nil || v.P >= len(pc.args) {
			return false
		}
		arg := pc.args[v.P]
		if arg == nil {
			return true
		}
		k, ok := normKey(arg)
		return zeroOK && ok && ((k.kind == kInt && k.i == 0) || (k.kind == kString && k.s == "0"))
	}
	return false
}

// keyed reports whether the generated column is the shard key.
func (a *autoFill) keyed(r *crule) bool {
	return a != nil && strings.EqualFold(r.rule.AutoIncrement, r.rule.ShardKey)
}

// id returns the generated value of row r.
func (a *autoFill) id(r int) (uint64, bool) {
	if a == nil {
		return 0, false
	}
	id, ok := a.byID[r]
	return id, ok
}

// renderRow writes row r of a split INSERT, in parentheses, with its
// generated value: appended, or in place of the value at auto.idx (whose
// '?' marker, if any, is then not sent).
func (r *renderer) renderRow(b *strings.Builder, row int) {
	ins, t := r.pc.st.Insert, r.pc.text
	span := ins.RowSpans[row]
	b.WriteByte('(')
	id, ok := r.auto.id(row)
	switch {
	case !ok:
		r.tpl.Render(b, t, span.From, span.To, r.fill, r.params)
	case r.auto.idx < 0:
		r.tpl.Render(b, t, span.From, span.To, r.fill, r.params)
		b.WriteByte(',')
		b.WriteString(strconv.FormatUint(id, 10))
	default:
		v := ins.ValueSpans[row][r.auto.idx]
		r.tpl.Render(b, t, span.From, v.From, r.fill, r.params)
		b.WriteString(strconv.FormatUint(id, 10))
		r.tpl.Render(b, t, v.To, span.To, r.fill, r.params)
	}
	b.WriteByte(')')
}

// appendColumn writes the generated column after the last column of an
// INSERT's column list (",`id`"), or after its last assignment in the SET
// form (",`id`=N").
func (r *renderer) appendColumn(b *strings.Builder) {
	if r.auto == nil || r.auto.idx >= 0 {
		return
	}
	b.WriteByte(',')
	b.WriteString(r.auto.col)
	if r.pc.st.Insert.SetForm {
		id, _ := r.auto.id(0)
		b.WriteString("=" + strconv.FormatUint(id, 10))
	}
}

// lastExplicit is the last value given for the auto_increment column col
// in row order (what MySQL reports as the insert id of an INSERT without
// generated values), 0 when the column is missing or a value is not a
// positive integer.
func (pc *pctx) lastExplicit(col string) uint64 {
	ins := pc.st.Insert
	for i, c := range ins.Columns {
		if !strings.EqualFold(c, col) || len(ins.Rows) == 0 {
			continue
		}
		k, ok := pc.keyOf(ins.Rows[len(ins.Rows)-1][i])
		switch {
		case !ok:
		case k.kind == kInt && k.i > 0:
			return uint64(k.i)
		case k.kind == kUint:
			return k.u
		}
		return 0
	}
	return 0
}
