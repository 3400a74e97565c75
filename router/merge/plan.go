package merge

import (
	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/shardline/shardline/router"
)

// plan is a MergeSpec checked against the inputs' columns.
type plan struct {
	spec      *router.MergeSpec
	inFields  []*mysql.Field // the inputs' columns
	fields    []*mysql.Field // merged columns, hidden ones included
	outFields []*mysql.Field // what the client sees
	inCols    []column       // comparison of input values (MIN/MAX, group keys)
	cols      []column       // comparison of merged values (ORDER BY, HAVING, DISTINCT)
	// orderIn and orderCols are inCols and cols for ordering: ENUM columns
	// by position (Options.Enums); equality and HAVING use the others.
	orderIn, orderCols []column
	having             []condition
	maxRows            int
}

func newPlan(spec *router.MergeSpec, inputs []router.RowStream, opts Options) (*plan, error) {
	if len(inputs) == 0 {
		return nil, errBadSpec("no inputs")
	}
	inFields := inputs[0].Fields()
	for i, in := range inputs[1:] {
		if n := len(in.Fields()); n != len(inFields) {
			return nil, errBadSpec("input %d has %d columns, input 0 has %d", i+1, n, len(inFields))
		}
	}
	if err := checkSpec(spec, len(inFields)); err != nil {
		return nil, err
	}
	p := &plan{spec: spec, inFields: inFields, maxRows: opts.MaxRows}
	if p.maxRows <= 0 {
		p.maxRows = DefaultMaxRows
	}
	p.fields = mergedFields(inFields, spec.Aggregates)
	visible := len(p.fields)
	if spec.OutputColumns > 0 {
		visible = spec.OutputColumns
	}
	p.outFields = p.fields[:visible]
	p.inCols = columnsOf(inFields, opts.Collations)
	p.cols = columnsOf(p.fields, opts.Collations)
	p.orderIn, p.orderCols = withEnums(p.inCols, opts.Enums), withEnums(p.cols, opts.Enums)
	having, err := newConditions(spec.Having)
	if err != nil {
		return nil, err
	}
	p.having = having
	return p, nil
}

// checkSpec rejects column indexes outside the inputs' n columns.
func checkSpec(spec *router.MergeSpec, n int) error {
	if spec.OutputColumns < 0 || spec.OutputColumns > n {
		return errBadSpec("OutputColumns %d with %d columns", spec.OutputColumns, n)
	}
	var idx []int
	idx = append(idx, spec.GroupBy...)
	for _, a := range spec.Aggregates {
		if a.Func < router.AggCount || a.Func > router.AggCountDistinct {
			return errBadSpec("unknown aggregate function %d", a.Func)
		}
		idx = append(idx, a.Column)
		if a.Func == router.AggAvg {
			idx = append(idx, a.CountColumn)
		}
	}
	for _, h := range spec.Having {
		idx = append(idx, h.Column)
	}
	for _, o := range spec.OrderBy {
		idx = append(idx, o.Column)
	}
	for _, i := range idx {
		if i < 0 || i >= n {
			return errBadSpec("column %d out of range (%d columns)", i, n)
		}
	}
	return nil
}

func columnsOf(fields []*mysql.Field, colls map[int]uint16) []column {
	cols := make([]column, len(fields))
	for i, f := range fields {
		cols[i] = newColumn(f, colls[i])
	}
	return cols
}

// grouped reports whether rows are aggregated.
func (p *plan) grouped() bool {
	return len(p.spec.GroupBy) > 0 || len(p.spec.Aggregates) > 0
}

// source builds the row pipeline in MySQL's order: group, HAVING, DISTINCT,
// ORDER BY (OFFSET/LIMIT and projection are the stream's).
func (p *plan) source(in *inputSet) source {
	var src source
	sorted := true // rows come out in ORDER BY order
	switch {
	case p.grouped() && p.orderIsGroup():
		src = newStreamGroups(p, in)
	case p.grouped():
		src, sorted = newGroupSource(p, in), false
	case len(p.spec.OrderBy) > 0:
		src = newKMerge(in, newRowCmp(p.spec.OrderBy, p.orderCols))
	default:
		src = &concat{in: in}
	}
	if len(p.having) > 0 {
		src = &havingFilter{src: src, conds: p.having, cols: p.cols}
	}
	switch {
	case !p.spec.Distinct:
	case sorted && len(p.spec.OrderBy) > 0 && p.orderIsVisible():
		src = &adjacentDistinct{src: src, cols: p.cols[:len(p.outFields)]}
	default:
		src = newDistinct(src, p.cols[:len(p.outFields)], p.maxRows)
	}
	if !sorted {
		if order := p.groupOrder(); len(order) > 0 {
			src = &sortSource{src: src, cmp: newRowCmp(order, p.orderCols)}
		}
	}
	return src
}

// orderIsGroup reports whether ORDER BY names exactly the GROUP BY columns:
// then the inputs arrive sorted by the group key and groups stream.
func (p *plan) orderIsGroup() bool {
	g, o := p.spec.GroupBy, p.spec.OrderBy
	if len(g) == 0 || len(o) != len(g) {
		return false
	}
	return sameColumns(g, o)
}

// orderIsVisible reports whether ORDER BY names exactly the visible
// columns: then the merged rows that DISTINCT folds are adjacent.
func (p *plan) orderIsVisible() bool {
	visible := make([]int, len(p.outFields))
	for i := range visible {
		visible[i] = i
	}
	return sameColumns(visible, p.spec.OrderBy)
}

// sameColumns reports whether order names exactly the columns cols.
func sameColumns(cols []int, order []router.OrderColumn) bool {
	want := make(map[int]bool, len(cols))
	for _, c := range cols {
		want[c] = true
	}
	got := make(map[int]bool, len(order))
	for _, o := range order {
		if !want[o.Column] {
			return false
		}
		got[o.Column] = true
	}
	return len(got) == len(want)
}

// groupOrder is ORDER BY, or else the GROUP BY columns ascending (MariaDB
// sorts GROUP BY results unless told ORDER BY NULL, which the spec cannot
// say; for MySQL 8 any order is correct).
func (p *plan) groupOrder() []router.OrderColumn {
	if len(p.spec.OrderBy) > 0 {
		return p.spec.OrderBy
	}
	order := make([]router.OrderColumn, len(p.spec.GroupBy))
	for i, c := range p.spec.GroupBy {
		order[i] = router.OrderColumn{Column: c}
	}
	return order
}
