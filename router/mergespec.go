package router

// MergeSpec says how the results of several targets become one result. Column
// indexes refer to the columns of the physical (pushed-down) SELECT, which the
// planner may extend with hidden trailing columns (sort keys, COUNT for AVG).
// Every target returns the same columns in the same order.
type MergeSpec struct {
	// OutputColumns is how many leading columns the client sees; the rest are
	// hidden helper columns. 0 means all columns.
	OutputColumns int
	// GroupBy lists the columns that form the group key (GROUP BY pushed down
	// to every target; groups with equal keys are combined).
	GroupBy []int
	// Aggregates lists the aggregate columns, combined per group (or over the
	// whole result when GroupBy is empty and len(Aggregates) > 0).
	Aggregates []Aggregate
	// Having filters merged groups (conjunction); evaluated after aggregation.
	Having []Condition
	// Distinct removes duplicate output rows.
	Distinct bool
	// OrderBy sorts the merged rows (inputs arrive sorted the same way, so a
	// plain ORDER BY merge is a streaming k-way merge).
	OrderBy []OrderColumn
	// Offset and Limit apply after ordering; Limit < 0 means no limit. The
	// planner pushes LIMIT offset+count down to the targets.
	Offset int64
	Limit  int64
	// HiddenColumns is set (with OutputColumns 0) when the select list has a
	// wildcard, so that the planner cannot know how many columns the client
	// sees: the last HiddenColumns columns are hidden, and column indexes < 0
	// count from the end of the row (-1 is the last column). Resolve turns
	// such a spec into absolute indexes once the column count is known.
	HiddenColumns int
}

// Resolve returns the spec with absolute column indexes for rows of n
// columns (OutputColumns set, HiddenColumns 0). A spec without negative
// indexes and without HiddenColumns is returned as is; otherwise a copy.
func (s *MergeSpec) Resolve(n int) *MergeSpec {
	if s == nil {
		return nil
	}
	neg := s.HiddenColumns > 0
	chk := func(i int) {
		if i < 0 {
			neg = true
		}
	}
	for _, i := range s.GroupBy {
		chk(i)
	}
	for _, a := range s.Aggregates {
		chk(a.Column)
		if a.Func == AggAvg {
			chk(a.CountColumn)
		}
	}
	for _, h := range s.Having {
		chk(h.Column)
	}
	for _, o := range s.OrderBy {
		chk(o.Column)
	}
	if !neg {
		return s
	}
	abs := func(i int) int {
		if i < 0 {
			return n + i
		}
		return i
	}
	out := *s
	if s.HiddenColumns > 0 {
		out.OutputColumns = n - s.HiddenColumns
		out.HiddenColumns = 0
	}
	out.GroupBy = make([]int, len(s.GroupBy))
	for i, c := range s.GroupBy {
		out.GroupBy[i] = abs(c)
	}
	out.Aggregates = make([]Aggregate, len(s.Aggregates))
	for i, a := range s.Aggregates {
		a.Column = abs(a.Column)
		if a.Func == AggAvg {
			a.CountColumn = abs(a.CountColumn)
		}
		out.Aggregates[i] = a
	}
	out.Having = make([]Condition, len(s.Having))
	for i, h := range s.Having {
		h.Column = abs(h.Column)
		out.Having[i] = h
	}
	out.OrderBy = make([]OrderColumn, len(s.OrderBy))
	for i, o := range s.OrderBy {
		o.Column = abs(o.Column)
		out.OrderBy[i] = o
	}
	return &out
}

// AggFunc is an aggregate function combined across targets.
type AggFunc int

const (
	AggCount AggFunc = iota + 1 // sum of partial counts
	AggSum                      // sum of partial sums (NULL if all NULL)
	AggMin
	AggMax
	AggAvg           // Column holds the partial SUM, CountColumn the partial COUNT
	AggCountDistinct // Column holds the values (the targets group by them); the merge counts the distinct non-NULL ones
)

// Aggregate is one aggregate output column.
type Aggregate struct {
	Func   AggFunc
	Column int
	// CountColumn is the hidden partial COUNT column for AggAvg.
	CountColumn int
	// Name overrides the output column name (e.g. "AVG(price)" for a column
	// pushed down as SUM(price)); empty keeps the backend's name.
	Name string
}

// Condition compares one merged column with a constant: Column Op Value.
// Op is one of = <> < <= > >=; Value is int64, uint64, float64, string or nil.
type Condition struct {
	Column int
	Op     string
	Value  any
}

// OrderColumn is one sort key.
type OrderColumn struct {
	Column int
	Desc   bool
}
