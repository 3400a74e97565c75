package merge

import (
	"errors"
	"testing"

	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/shardline/shardline/router"
)

// TestFields checks the client-visible columns: hidden columns cut,
// aggregate renames, AVG typed as MySQL types it, inputs' fields untouched.
// If it fails, clients see helper columns, wrong names, or an AVG column
// whose declared scale disagrees with its values.
func TestFields(t *testing.T) {
	in := []*mysql.Field{strF("k", 45), decF("SUM(a)", 2), dblF("SUM(b)"), decF("c", 0),
		intF("COUNT(a)"), intF("COUNT(b)")}
	in[1].ColumnLength = 33
	spec := &router.MergeSpec{OutputColumns: 4, GroupBy: []int{0}, Limit: -1, Aggregates: []router.Aggregate{
		{Func: router.AggAvg, Column: 1, CountColumn: 4, Name: "AVG(a)"},
		{Func: router.AggAvg, Column: 2, CountColumn: 5, Name: "AVG(b)"},
		{Func: router.AggCount, Column: 3, Name: "COUNT(*)"},
	}}
	s, err := New(spec, []router.RowStream{newSlice(in)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := s.Fields()
	if len(got) != 4 {
		t.Fatalf("%d fields, want 4", len(got))
	}
	checks := []struct {
		i        int
		name     string
		typ, dec uint8
		length   uint32
	}{
		{0, "k", mysql.MYSQL_TYPE_VAR_STRING, 0, 0},
		{1, "AVG(a)", mysql.MYSQL_TYPE_NEWDECIMAL, 6, 37},
		{2, "AVG(b)", mysql.MYSQL_TYPE_DOUBLE, 31, 0},
		{3, "COUNT(*)", mysql.MYSQL_TYPE_LONGLONG, 0, 21},
	}
	for _, c := range checks {
		f := got[c.i]
		if string(f.Name) != c.name || f.Type != c.typ || f.Decimal != c.dec || f.ColumnLength != c.length {
			t.Errorf("field %d = %s type %d dec %d len %d; want %s %d %d %d",
				c.i, f.Name, f.Type, f.Decimal, f.ColumnLength, c.name, c.typ, c.dec, c.length)
		}
	}
	if string(in[1].Name) != "SUM(a)" || in[1].Type != mysql.MYSQL_TYPE_NEWDECIMAL {
		t.Errorf("input field modified: %s type %d", in[1].Name, in[1].Type)
	}
}

// TestNewRejectsBadSpec checks that a spec that does not fit the inputs is
// an error (ER_UNKNOWN_ERROR) and that New then closes the inputs. If it
// fails, a planner bug panics the proxy or leaks backend connections.
func TestNewRejectsBadSpec(t *testing.T) {
	two := []*mysql.Field{intF("a"), intF("b")}
	cases := []struct {
		name   string
		spec   router.MergeSpec
		fields [][]*mysql.Field
	}{
		{"no inputs", router.MergeSpec{}, nil},
		{"column counts differ", router.MergeSpec{}, [][]*mysql.Field{two, two[:1]}},
		{"order column out of range", router.MergeSpec{OrderBy: []router.OrderColumn{{Column: 2}}}, [][]*mysql.Field{two}},
		{"group column negative", router.MergeSpec{GroupBy: []int{-1}}, [][]*mysql.Field{two}},
		{"avg count column out of range", router.MergeSpec{Aggregates: []router.Aggregate{
			{Func: router.AggAvg, Column: 0, CountColumn: 5}}}, [][]*mysql.Field{two}},
		{"unknown aggregate", router.MergeSpec{Aggregates: []router.Aggregate{{Func: 99}}}, [][]*mysql.Field{two}},
		{"too many output columns", router.MergeSpec{OutputColumns: 3}, [][]*mysql.Field{two}},
		{"bad having operator", router.MergeSpec{Having: []router.Condition{{Column: 0, Op: "LIKE", Value: "x"}}},
			[][]*mysql.Field{two}},
		{"bad having constant", router.MergeSpec{Having: []router.Condition{{Column: 0, Op: "=", Value: struct{}{}}}},
			[][]*mysql.Field{two}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var ins []*sliceStream
			var rs []router.RowStream
			for _, f := range c.fields {
				in := newSlice(f)
				ins = append(ins, in)
				rs = append(rs, in)
			}
			_, err := New(&c.spec, rs, Options{})
			if myErrCode(err) != mysql.ER_UNKNOWN_ERROR {
				t.Fatalf("err = %v, want code %d", err, mysql.ER_UNKNOWN_ERROR)
			}
			for i, in := range ins {
				if in.closed != 1 {
					t.Errorf("input %d closed %d times", i, in.closed)
				}
			}
		})
	}
}

// TestInputErrorPassesThrough checks that a backend error in any input
// reaches the caller unchanged on every merge path, and stays the stream's
// error. If it fails, a shard's error is lost, rewritten, or the merge
// returns a truncated result as if it were complete.
func TestInputErrorPassesThrough(t *testing.T) {
	backendErr := mysql.NewError(mysql.ER_LOCK_DEADLOCK, "Deadlock found")
	f := []*mysql.Field{intF("a")}
	specs := map[string]router.MergeSpec{
		"passthrough": {Limit: -1},
		"merge":       {Limit: -1, OrderBy: []router.OrderColumn{{Column: 0}}},
		"group":       {Limit: -1, GroupBy: []int{0}},
		"distinct":    {Limit: -1, Distinct: true},
	}
	for name, spec := range specs {
		t.Run(name, func(t *testing.T) {
			bad := newSlice(f, row(I(2)))
			bad.err = backendErr
			s, err := New(&spec, []router.RowStream{newSlice(f, row(I(1))), bad}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			err = Drain(s, func([]mysql.FieldValue) error { return nil })
			if err != backendErr {
				t.Fatalf("Drain = %v, want the backend error", err)
			}
			if _, err := s.Next(); err != backendErr {
				t.Fatalf("Next after error = %v", err)
			}
		})
	}
}

// TestCloseAndDrain checks that Close closes every input exactly once even
// when called early or twice, and that Drain stops at fn's error. If it
// fails, backend connections leak or are released twice.
func TestCloseAndDrain(t *testing.T) {
	f := []*mysql.Field{intF("a")}
	a, b := newSlice(f, row(I(1)), row(I(3))), newSlice(f, row(I(2)))
	s, err := New(&router.MergeSpec{Limit: -1, OrderBy: []router.OrderColumn{{Column: 0}}},
		[]router.RowStream{a, b}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("client went away")
	n := 0
	err = Drain(s, func([]mysql.FieldValue) error {
		n++
		return stop
	})
	if err != stop || n != 1 {
		t.Fatalf("Drain = %v after %d rows, want %v after 1", err, n, stop)
	}
	s.Close()
	if a.closed != 1 || b.closed != 1 {
		t.Fatalf("closed %d and %d times, want 1 and 1", a.closed, b.closed)
	}
}

// TestNilSpecPassesThrough checks that a nil spec concatenates the inputs.
// If it fails, callers must build an empty spec for plain scatter reads.
func TestNilSpecPassesThrough(t *testing.T) {
	f := []*mysql.Field{intF("a")}
	got := mustRun(t, nil, newSlice(f, row(I(2)), row(I(1))), newSlice(f, row(I(0))))
	equalLines(t, got, []string{"2", "1", "0"})
}

// TestMinMaxByColumnType checks MIN/MAX use the column's comparison, not
// byte order. If it fails, MIN over strings ignores the collation, or MIN
// over DECIMAL/dates picks the textually smallest value.
func TestMinMaxByColumnType(t *testing.T) {
	cases := []struct {
		name     string
		field    *mysql.Field
		a, b     []mysql.FieldValue
		min, max string
	}{
		{"general_ci", strF("x", 45), row(S("émile"), S("Bob")), row(S("zed"), S("alice")), "alice", "zed"},
		{"decimal", decF("x", 2), row(S("9.75"), S("-1.00")), row(S("10.50"), N), "-1.00", "10.50"},
		{"signed/unsigned", intF("x"), row(I(-3), I(7)), row(U(1<<63), N), "-3", "9223372036854775808"},
		{"datetime", dateF("x"), row(S("2024-01-02 00:00:00")), row(S("2023-12-31 23:59:59.9")),
			"2023-12-31 23:59:59.9", "2024-01-02 00:00:00"},
		{"all NULL", intF("x"), row(N), row(N), "NULL", "NULL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := []*mysql.Field{c.field, c.field}
			spec := &router.MergeSpec{Limit: -1, Aggregates: []router.Aggregate{
				{Func: router.AggMin, Column: 0}, {Func: router.AggMax, Column: 1}}}
			var ins []*sliceStream
			for _, v := range append(append([]mysql.FieldValue{}, c.a...), c.b...) {
				ins = append(ins, newSlice(f, row(v, v)))
			}
			equalLines(t, mustRun(t, spec, ins...), []string{c.min + "|" + c.max})
		})
	}
}

// TestColumnCollationSources checks where a string column's collation comes
// from: BINARY_FLAG means byte order whatever Field.Charset says (servers
// report the connection's collation there), and Options.Collations
// overrides Field.Charset. If it fails, _bin columns or columns whose
// collation differs from the connection's group and sort like the
// connection's collation.
func TestColumnCollationSources(t *testing.T) {
	binFlagged := strF("k", 45)
	binFlagged.Flag |= mysql.BINARY_FLAG
	cases := []struct {
		name  string
		field *mysql.Field
		colls map[int]uint16
		want  []string
	}{
		{"general_ci reported", strF("k", 45), nil, []string{"straße|1", "STRASSE|1"}}, // ß = s
		{"unicode_ci given", strF("k", 45), map[int]uint16{0: 224}, []string{"straße|2"}},
		{"BINARY_FLAG", binFlagged, nil, []string{"STRASSE|1", "straße|1"}},
		{"BINARY_FLAG beats a _ci override", binFlagged, map[int]uint16{0: 224}, []string{"STRASSE|1", "straße|1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := []*mysql.Field{c.field, intF("n")}
			spec := &router.MergeSpec{GroupBy: []int{0}, Limit: -1,
				Aggregates: []router.Aggregate{{Func: router.AggCount, Column: 1}}}
			got, err := run(t, spec, Options{Collations: c.colls},
				newSlice(f, row(S("straße"), I(1))), newSlice(f, row(S("STRASSE"), I(1))))
			if err != nil {
				t.Fatal(err)
			}
			equalLines(t, got, c.want)
		})
	}
}
