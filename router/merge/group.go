package merge

import (
	"errors"
	"io"

	"github.com/go-mysql-org/go-mysql/mysql"
)

// group is one merged group: a copy of its first row (which supplies the
// GROUP BY and other plain columns, as MySQL shows one of the values) and
// the state of each aggregate.
type group struct {
	row    []mysql.FieldValue
	states []aggState
	filled bool // row holds a copy of an input row
}

// groupSource reads every input into a hash table of groups, then yields
// one row per group in first-seen order.
type groupSource struct {
	p      *plan
	src    source
	aggs   []aggregator
	index  map[string]int
	groups []*group
	key    []byte
	loaded bool
	pos    int
}

func newGroupSource(p *plan, in *inputSet) *groupSource {
	g := &groupSource{p: p, src: &concat{in: in}, index: make(map[string]int)}
	for _, a := range p.spec.Aggregates {
		g.aggs = append(g.aggs, newAggregator(a, p))
	}
	return g
}

func (g *groupSource) next() ([]mysql.FieldValue, error) {
	if !g.loaded {
		if err := g.load(); err != nil {
			return nil, err
		}
	}
	if g.pos >= len(g.groups) {
		return nil, io.EOF
	}
	gr := g.groups[g.pos]
	g.groups[g.pos] = nil
	g.pos++
	for i := range g.aggs {
		v, err := g.aggs[i].result(&gr.states[i])
		if err != nil {
			return nil, err
		}
		gr.row[g.aggs[i].col] = v
	}
	return gr.row, nil
}

// load aggregates every input row. Without GROUP BY there is exactly one
// group, even over no rows (COUNT 0, other aggregates and columns NULL).
func (g *groupSource) load() error {
	g.loaded = true
	if len(g.p.spec.GroupBy) == 0 {
		g.groups = append(g.groups, g.newGroup(make([]mysql.FieldValue, len(g.p.fields))))
	}
	for {
		row, err := g.src.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		gr, err := g.find(row)
		if err != nil {
			return err
		}
		for i := range g.aggs {
			if err := g.aggs[i].add(&gr.states[i], row); err != nil {
				return err
			}
		}
	}
}

// find returns the group of row, creating it when new.
func (g *groupSource) find(row []mysql.FieldValue) (*group, error) {
	if len(g.p.spec.GroupBy) == 0 {
		gr := g.groups[0]
		if !gr.filled {
			copyRow(gr.row, row)
			gr.filled = true
		}
		return gr, nil
	}
	g.key = g.key[:0]
	for _, c := range g.p.spec.GroupBy {
		g.key = g.p.inCols[c].appendKey(g.key, &row[c])
	}
	if i, ok := g.index[string(g.key)]; ok {
		return g.groups[i], nil
	}
	if len(g.groups) >= g.p.maxRows {
		return nil, errTooManyRows(g.p.maxRows, "groups")
	}
	gr := g.newGroup(make([]mysql.FieldValue, len(row)))
	copyRow(gr.row, row)
	g.index[string(g.key)] = len(g.groups)
	g.groups = append(g.groups, gr)
	return gr, nil
}

func (g *groupSource) newGroup(row []mysql.FieldValue) *group {
	return &group{row: row, states: make([]aggState, len(g.aggs))}
}

// copyRow copies src into dst, strings into one fresh buffer, since input
// rows are valid only until the input's next Next.
func copyRow(dst, src []mysql.FieldValue) {
	n := 0
	for i := range src {
		n += len(src[i].AsString())
	}
	arena := make([]byte, 0, n)
	for i := range src {
		v := &src[i]
		var s []byte
		if v.Type == mysql.FieldValueTypeString {
			start := len(arena)
			arena = append(arena, v.AsString()...)
			s = arena[start:len(arena):len(arena)]
		}
		dst[i] = mysql.NewFieldValue(v.Type, v.AsUint64(), s)
	}
}
