package merge

import (
	"errors"
	"io"

	"github.com/go-mysql-org/go-mysql/mysql"
)

// streamGroups aggregates inputs that arrive sorted by the group key (ORDER
// BY names exactly the GROUP BY columns and is pushed down): a k-way merge
// makes the rows of one group adjacent, so groups are folded one at a time
// in constant memory and emitted in ORDER BY order, and LIMIT stops the
// reading early.
type streamGroups struct {
	p        *plan
	src      source
	aggs     []aggregator
	sameKey  rowCmp // compares the GROUP BY columns
	cur, out *group // the group being folded; the group last returned
	done     bool
}

func newStreamGroups(p *plan, in *inputSet) *streamGroups {
	g := &streamGroups{p: p, src: newKMerge(in, newRowCmp(p.spec.OrderBy, p.orderIn)),
		sameKey: newRowCmp(p.spec.OrderBy, p.inCols)}
	for _, a := range p.spec.Aggregates {
		g.aggs = append(g.aggs, newAggregator(a, p))
	}
	g.cur = &group{row: make([]mysql.FieldValue, len(p.fields)), states: make([]aggState, len(g.aggs))}
	g.out = &group{row: make([]mysql.FieldValue, len(p.fields)), states: make([]aggState, len(g.aggs))}
	return g
}

func (g *streamGroups) next() ([]mysql.FieldValue, error) {
	for !g.done {
		row, err := g.src.next()
		if errors.Is(err, io.EOF) {
			g.done = true
			if g.cur.filled {
				return g.emit()
			}
			break
		}
		if err != nil {
			return nil, err
		}
		var res []mysql.FieldValue
		if g.cur.filled && g.sameKey.compare(row, g.cur.row) != 0 {
			if res, err = g.emit(); err != nil {
				return nil, err
			}
		}
		if err := g.fold(row); err != nil {
			return nil, err
		}
		if res != nil {
			return res, nil
		}
	}
	return nil, io.EOF
}

// fold adds row to the current group, starting it if empty.
func (g *streamGroups) fold(row []mysql.FieldValue) error {
	if !g.cur.filled {
		copyRow(g.cur.row, row)
		g.cur.filled = true
	}
	for i := range g.aggs {
		if err := g.aggs[i].add(&g.cur.states[i], row); err != nil {
			return err
		}
	}
	return nil
}

// emit finishes the current group as the result row and empties a group
// for the next key (the result stays valid until the following emit).
func (g *streamGroups) emit() ([]mysql.FieldValue, error) {
	g.cur, g.out = g.out, g.cur
	g.cur.filled = false
	for i := range g.cur.states {
		g.cur.states[i] = aggState{buf: g.cur.states[i].buf[:0]}
	}
	for i := range g.aggs {
		v, err := g.aggs[i].result(&g.out.states[i])
		if err != nil {
			return nil, err
		}
		g.out.row[g.aggs[i].col] = v
	}
	return g.out.row, nil
}
