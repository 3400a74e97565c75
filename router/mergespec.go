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
}

// AggFunc is an aggregate function combined across targets.
type AggFunc int

const (
	AggCount AggFunc = iota + 1 // sum of partial counts
	AggSum                      // sum of partial sums (NULL if all NULL)
	AggMin
	AggMax
	AggAvg // Column holds the partial SUM, CountColumn the partial COUNT
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
