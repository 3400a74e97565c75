package merge

import (
	"strings"
	"testing"

	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/shardline/shardline/router"
)

// TestGroupByMerge checks that partial groups from several shards combine
// into one group per key, with COUNT/SUM/MIN/MAX/AVG combined, HAVING on the
// merged values, ORDER BY (or MariaDB's implicit GROUP BY order), LIMIT and
// hidden columns stripped. If it fails, GROUP BY over a sharded table returns
// duplicate groups or wrong totals.
func TestGroupByMerge(t *testing.T) {
	// SELECT name, COUNT(*), SUM(amt), MIN(amt), MAX(amt), AVG(amt)
	// pushed down as name, COUNT(*), SUM(amt), MIN(amt), MAX(amt), SUM(amt), COUNT(amt).
	f := []*mysql.Field{strF("name", 45), intF("COUNT(*)"), decF("SUM(amt)", 2),
		decF("MIN(amt)", 2), decF("MAX(amt)", 2), decF("SUM(amt)", 2), intF("COUNT(amt)")}
	aggs := []router.Aggregate{
		{Func: router.AggCount, Column: 1},
		{Func: router.AggSum, Column: 2},
		{Func: router.AggMin, Column: 3},
		{Func: router.AggMax, Column: 4},
		{Func: router.AggAvg, Column: 5, CountColumn: 6, Name: "AVG(amt)"},
	}
	shard := func(rows ...[]mysql.FieldValue) *sliceStream { return newSlice(f, rows...) }
	inputs := func() []*sliceStream {
		return []*sliceStream{
			shard(row(S("bob"), I(2), S("10.50"), S("0.50"), S("10.00"), S("10.50"), I(2)),
				row(S("zed"), I(1), S("1.00"), S("1.00"), S("1.00"), S("1.00"), I(1))),
			shard(row(S("BOB"), I(1), S("9.75"), S("9.75"), S("9.75"), S("9.75"), I(1)),
				row(S("Émile"), I(3), N, N, N, N, I(0))),
		}
	}
	cases := []struct {
		name string
		spec router.MergeSpec
		want []string
	}{
		{"implicit order by group key", router.MergeSpec{GroupBy: []int{0}, Aggregates: aggs, OutputColumns: 6, Limit: -1},
			[]string{"bob|3|20.25|0.50|10.00|6.750000", "Émile|3|NULL|NULL|NULL|NULL", "zed|1|1.00|1.00|1.00|1.000000"}},
		{"having on merged count", router.MergeSpec{GroupBy: []int{0}, Aggregates: aggs, OutputColumns: 2, Limit: -1,
			Having: []router.Condition{{Column: 1, Op: ">=", Value: int64(3)}}},
			[]string{"bob|3", "Émile|3"}},
		{"having on decimal sum", router.MergeSpec{GroupBy: []int{0}, Aggregates: aggs, OutputColumns: 3, Limit: -1,
			Having: []router.Condition{{Column: 2, Op: ">", Value: "10.5"}}},
			[]string{"bob|3|20.25"}},
		{"order by sum desc, limit", router.MergeSpec{GroupBy: []int{0}, Aggregates: aggs, OutputColumns: 3, Limit: 2,
			OrderBy: []router.OrderColumn{{Column: 2, Desc: true}}},
			[]string{"bob|3|20.25", "zed|1|1.00"}},
		{"order by avg with offset", router.MergeSpec{GroupBy: []int{0}, Aggregates: aggs, OutputColumns: 6, Offset: 1, Limit: -1,
			OrderBy: []router.OrderColumn{{Column: 5}}},
			[]string{"zed|1|1.00|1.00|1.00|1.000000", "bob|3|20.25|0.50|10.00|6.750000"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := mustRun(t, &c.spec, inputs()...)
			equalLines(t, got, c.want)
		})
	}
}

// TestAggregateWithoutGroupBy checks the single-row aggregate result,
// including over no rows at all (COUNT 0, the rest NULL). If it fails,
// SELECT COUNT(*) over a sharded table returns no row or a wrong total.
func TestAggregateWithoutGroupBy(t *testing.T) {
	f := []*mysql.Field{intF("COUNT(*)"), decF("SUM(x)", 0), intF("MIN(x)"), intF("MAX(x)"), decF("SUM(x)", 0), intF("COUNT(x)")}
	spec := &router.MergeSpec{OutputColumns: 5, Limit: -1, Aggregates: []router.Aggregate{
		{Func: router.AggCount, Column: 0}, {Func: router.AggSum, Column: 1},
		{Func: router.AggMin, Column: 2}, {Func: router.AggMax, Column: 3},
		{Func: router.AggAvg, Column: 4, CountColumn: 5},
	}}
	cases := []struct {
		name string
		a, b [][]mysql.FieldValue
		want string
	}{
		{"two partials", [][]mysql.FieldValue{{I(1), S("1"), I(1), I(1), S("1"), I(1)}},
			[][]mysql.FieldValue{{I(1), S("2"), I(2), I(2), S("2"), I(1)}}, "2|3|1|2|1.5000"},
		{"one shard empty", [][]mysql.FieldValue{{I(0), N, N, N, N, I(0)}},
			[][]mysql.FieldValue{{I(2), S("-7"), I(-4), I(-3), S("-7"), I(2)}}, "2|-7|-4|-3|-3.5000"},
		{"all shards empty", [][]mysql.FieldValue{{I(0), N, N, N, N, I(0)}},
			[][]mysql.FieldValue{{I(0), N, N, N, N, I(0)}}, "0|NULL|NULL|NULL|NULL"},
		{"no rows at all", nil, nil, "0|NULL|NULL|NULL|NULL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := mustRun(t, spec, newSlice(f, c.a...), newSlice(f, c.b...))
			equalLines(t, got, []string{c.want})
		})
	}
}

// TestAvgAndSumValues checks AVG/SUM values and their rounding and scale as
// MySQL prints them. If it fails, AVG shows a different number of decimals
// or rounds differently than an unsharded table would.
func TestAvgAndSumValues(t *testing.T) {
	cases := []struct {
		name     string
		sumField *mysql.Field
		parts    [][2]mysql.FieldValue // partial (SUM, COUNT) per shard
		avg, sum string
	}{
		{"ints: 1,2", decF("s", 0), [][2]mysql.FieldValue{{S("1"), I(1)}, {S("2"), I(1)}}, "1.5000", "3"},
		{"ints: rounds half up", decF("s", 0), [][2]mysql.FieldValue{{S("2"), I(3)}, {S("0"), I(0)}}, "0.6667", "2"},
		{"ints: negative rounds away from zero", decF("s", 0),
			[][2]mysql.FieldValue{{S("-1"), I(2)}, {S("-1"), I(6)}}, "-0.2500", "-2"},
		{"ints: -1/3", decF("s", 0), [][2]mysql.FieldValue{{S("-1"), I(3)}}, "-0.3333", "-1"},
		{"ints: half away from zero at scale+4", decF("s", 0),
			[][2]mysql.FieldValue{{S("-1"), I(20000)}, {N, I(0)}}, "-0.0001", "-1"}, // MariaDB prints -0.0001
		{"decimal(10,2)", decF("s", 2), [][2]mysql.FieldValue{{S("1.00"), I(1)}, {S("2.05"), I(1)}}, "1.525000", "3.05"},
		{"decimal exact 0.1+0.2", decF("s", 1), [][2]mysql.FieldValue{{S("0.1"), I(1)}, {S("0.2"), I(1)}}, "0.15000", "0.3"},
		{"beyond int64", decF("s", 0),
			[][2]mysql.FieldValue{{S("18446744073709551615"), I(1)}, {S("1"), I(1)}},
			"9223372036854775808.0000", "18446744073709551616"},
		{"beyond int64 with fraction", decF("s", 3),
			[][2]mysql.FieldValue{{S("99999999999999999.999"), I(1)}, {S("0.001"), I(1)}},
			"50000000000000000.0000000", "100000000000000000.000"},
		{"double", dblF("s"), [][2]mysql.FieldValue{{F(1), I(1)}, {F(2.5), I(1)}}, "1.75", "3.5"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := []*mysql.Field{c.sumField, c.sumField, intF("c")}
			spec := &router.MergeSpec{OutputColumns: 2, Limit: -1, Aggregates: []router.Aggregate{
				{Func: router.AggAvg, Column: 0, CountColumn: 2}, {Func: router.AggSum, Column: 1}}}
			var ins []*sliceStream
			for _, p := range c.parts {
				ins = append(ins, newSlice(f, row(p[0], p[0], p[1])))
			}
			equalLines(t, mustRun(t, spec, ins...), []string{c.avg + "|" + c.sum})
		})
	}
}

// TestGroupKeysUseCollationAndType checks that group keys are equal by
// collation (general_ci folds case and accents, PAD SPACE ignores trailing
// spaces, _bin does not fold) and by value (5 signed = 5 unsigned, 1.50 =
// 1.5). If it fails, one logical group shows up as several rows.
func TestGroupKeysUseCollationAndType(t *testing.T) {
	cases := []struct {
		name  string
		field *mysql.Field
		a, b  mysql.FieldValue
		want  []string
	}{
		{"general_ci case", strF("k", 45), S("bob"), S("BOB"), []string{"bob|2"}},
		{"general_ci accent", strF("k", 33), S("Emile"), S("émile"), []string{"Emile|2"}},
		{"general_ci trailing space", strF("k", 45), S("bob  "), S("bob"), []string{"bob  |2"}},
		{"utf8mb4_0900_ai_ci no pad", strF("k", 255), S("bob "), S("BOB"), []string{"BOB|1", "bob |1"}},
		{"unicode_ci sharp s", strF("k", 224), S("strasse"), S("STRAßE"), []string{"strasse|2"}},
		{"utf8mb4_bin", strF("k", 46), S("bob"), S("BOB"), []string{"BOB|1", "bob|1"}},
		{"binary no pad", strF("k", 63), S("a "), S("a"), []string{"a|1", "a |1"}},
		{"signed and unsigned", intF("k"), I(5), U(5), []string{"5|2"}},
		{"decimal trailing zeros", decF("k", 2), S("1.50"), S("1.5"), []string{"1.50|2"}},
		{"datetime fraction", dateF("k"), S("2024-01-01 10:00:00"), S("2024-01-01 10:00:00.000000"),
			[]string{"2024-01-01 10:00:00|2"}},
		{"NULL is one group", intF("k"), N, N, []string{"NULL|2"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := []*mysql.Field{c.field, intF("n")}
			spec := &router.MergeSpec{GroupBy: []int{0}, Limit: -1,
				Aggregates: []router.Aggregate{{Func: router.AggCount, Column: 1}}}
			got := mustRun(t, spec, newSlice(f, row(c.a, I(1))), newSlice(f, row(c.b, I(1))))
			equalLines(t, got, c.want)
		})
	}
}

// TestDistinct checks DISTINCT across shards, streaming and after ORDER BY,
// with collation-aware equality and hidden columns ignored. If it fails,
// SELECT DISTINCT returns duplicates that lived on different shards.
func TestDistinct(t *testing.T) {
	f := []*mysql.Field{strF("name", 45), intF("hidden")}
	in := func() []*sliceStream {
		return []*sliceStream{
			newSlice(f, row(S("bob"), I(1)), row(S("zed"), I(2))),
			newSlice(f, row(S("BOB"), I(3)), row(S("eve"), I(4)), row(S("zed "), I(5))),
		}
	}
	cases := []struct {
		name string
		spec router.MergeSpec
		want []string
	}{
		{"unordered", router.MergeSpec{Distinct: true, OutputColumns: 1, Limit: -1}, []string{"bob", "zed", "eve"}},
		{"ordered", router.MergeSpec{Distinct: true, OutputColumns: 1, Limit: -1,
			OrderBy: []router.OrderColumn{{Column: 0}}}, []string{"bob", "eve", "zed"}},
		{"ordered with offset and limit", router.MergeSpec{Distinct: true, OutputColumns: 1, Offset: 1, Limit: 2,
			OrderBy: []router.OrderColumn{{Column: 0}}}, []string{"eve", "zed"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			equalLines(t, mustRun(t, &c.spec, in()...), c.want)
		})
	}
}

// TestMaxRows checks that groups and distinct rows beyond Options.MaxRows
// fail with ErrCodeTooManyRows. If it fails, a huge GROUP BY can exhaust
// the proxy's memory instead of failing the one query.
func TestMaxRows(t *testing.T) {
	f := []*mysql.Field{intF("k"), intF("n")}
	specs := map[string]router.MergeSpec{
		"group by": {GroupBy: []int{0}, Limit: -1, Aggregates: []router.Aggregate{{Func: router.AggCount, Column: 1}}},
		"distinct": {Distinct: true, Limit: -1},
	}
	for name, spec := range specs {
		t.Run(name, func(t *testing.T) {
			a := newSlice(f, row(I(1), I(1)), row(I(2), I(1)))
			b := newSlice(f, row(I(2), I(1)), row(I(3), I(1)))
			_, err := run(t, &spec, Options{MaxRows: 2}, a, b)
			if myErrCode(err) != ErrCodeTooManyRows {
				t.Fatalf("err = %v, want code %d", err, ErrCodeTooManyRows)
			}
			a = newSlice(f, row(I(1), I(1)), row(I(2), I(1)))
			b = newSlice(f, row(I(2), I(1)))
			if _, err := run(t, &spec, Options{MaxRows: 2}, a, b); err != nil {
				t.Fatalf("at the bound: %v", err)
			}
		})
	}
}

// TestSortedDistinctHoldsNoSet checks that DISTINCT ordered by exactly its
// columns folds adjacent rows instead of remembering every row, so
// MaxRows does not limit it, while the result stays correct. If it fails,
// SELECT DISTINCT x ... ORDER BY x over a large table fails needlessly.
func TestSortedDistinctHoldsNoSet(t *testing.T) {
	f := []*mysql.Field{strF("x", 45)}
	a := newSlice(f, row(S("a")), row(S("b")), row(S("B")), row(S("c")))
	b := newSlice(f, row(S("A")), row(S("b ")), row(S("d")))
	spec := &router.MergeSpec{Distinct: true, Limit: -1, OrderBy: []router.OrderColumn{{Column: 0}}}
	got, err := run(t, spec, Options{MaxRows: 1}, a, b)
	if err != nil {
		t.Fatal(err)
	}
	equalLines(t, got, []string{"a", "b", "c", "d"})
}

// TestStreamingGroups checks GROUP BY whose ORDER BY names exactly the group
// columns: inputs arrive sorted by the key, groups are folded one at a time
// (no MaxRows bound), come out in ORDER BY order, and LIMIT stops reading.
// If it fails, GROUP BY x ORDER BY x LIMIT n reads whole tables, runs out
// of its memory bound, or returns split groups.
func TestStreamingGroups(t *testing.T) {
	f := []*mysql.Field{strF("name", 45), intF("COUNT(*)"), decF("SUM(x)", 1), intF("COUNT(x)")}
	aggs := []router.Aggregate{{Func: router.AggCount, Column: 1}, {Func: router.AggAvg, Column: 2, CountColumn: 3}}
	asc := func() []*sliceStream {
		return []*sliceStream{
			newSlice(f, row(N, I(1), N, I(0)), row(S("alice"), I(1), S("1.0"), I(1)),
				row(S("bob"), I(2), S("3.0"), I(2)), row(S("zed"), I(1), S("5.5"), I(1))),
			newSlice(f, row(S("BOB"), I(1), S("1.0"), I(1)), row(S("eve"), I(4), S("2.0"), I(4)),
				row(S("Zed"), I(1), N, I(0))),
		}
	}
	desc := func() []*sliceStream {
		in := asc()
		for _, s := range in {
			for i, j := 0, len(s.rows)-1; i < j; i, j = i+1, j-1 {
				s.rows[i], s.rows[j] = s.rows[j], s.rows[i]
			}
		}
		return in
	}
	cases := []struct {
		name     string
		spec     router.MergeSpec
		inputs   func() []*sliceStream
		want     []string
		maxNexts int
	}{
		{"all groups", router.MergeSpec{GroupBy: []int{0}, Aggregates: aggs, OutputColumns: 3, Limit: -1,
			OrderBy: []router.OrderColumn{{Column: 0}}}, asc,
			[]string{"NULL|1|NULL", "alice|1|1.00000", "bob|3|1.33333", "eve|4|0.50000", "zed|2|5.50000"}, 9},
		{"descending with having", router.MergeSpec{GroupBy: []int{0}, Aggregates: aggs, OutputColumns: 2, Limit: -1,
			OrderBy: []router.OrderColumn{{Column: 0, Desc: true}},
			Having:  []router.Condition{{Column: 1, Op: ">", Value: int64(1)}}}, desc,
			[]string{"zed|2", "eve|4", "bob|3"}, 9},
		{"limit stops reading", router.MergeSpec{GroupBy: []int{0}, Aggregates: aggs, OutputColumns: 2, Limit: 2,
			OrderBy: []router.OrderColumn{{Column: 0}}}, asc,
			[]string{"NULL|1", "alice|1"}, 5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := c.inputs()
			got, err := run(t, &c.spec, Options{MaxRows: 1}, in...)
			if err != nil {
				t.Fatal(err)
			}
			equalLines(t, got, c.want)
			if n := in[0].nexts + in[1].nexts; n > c.maxNexts {
				t.Errorf("inputs read %d times, want at most %d", n, c.maxNexts)
			}
		})
	}
}

// TestHavingConditions checks each HAVING operator and constant type on
// merged values, compared by the column's type and collation, with NULL
// never satisfying a comparison. If it fails, HAVING keeps or drops the
// wrong groups.
func TestHavingConditions(t *testing.T) {
	f := []*mysql.Field{strF("name", 45), intF("n"), decF("s", 2)}
	cases := []struct {
		cond router.Condition
		want []string
	}{
		{router.Condition{Column: 1, Op: "=", Value: int64(3)}, []string{"bob"}},
		{router.Condition{Column: 1, Op: "<>", Value: 3}, []string{"NULL", "zed"}},
		{router.Condition{Column: 1, Op: "!=", Value: uint64(3)}, []string{"NULL", "zed"}},
		{router.Condition{Column: 1, Op: "<", Value: 2.5}, []string{"NULL", "zed"}},
		{router.Condition{Column: 2, Op: "<=", Value: "10.5"}, []string{"zed"}},
		{router.Condition{Column: 2, Op: ">=", Value: 10.75}, []string{"bob"}},
		{router.Condition{Column: 0, Op: "=", Value: "BOB"}, []string{"bob"}},
		{router.Condition{Column: 0, Op: ">", Value: "Émile"}, []string{"zed"}},
		{router.Condition{Column: 2, Op: "=", Value: nil}, nil},
		{router.Condition{Column: 0, Op: "<>", Value: "x"}, []string{"bob", "zed"}},
	}
	for _, c := range cases {
		t.Run(c.cond.Op+" "+render(mustConst(t, c.cond.Value)), func(t *testing.T) {
			spec := &router.MergeSpec{GroupBy: []int{0}, OutputColumns: 1, Limit: -1,
				Having: []router.Condition{c.cond}, Aggregates: []router.Aggregate{
					{Func: router.AggCount, Column: 1}, {Func: router.AggSum, Column: 2}}}
			a := newSlice(f, row(N, I(1), N), row(S("bob"), I(2), S("5.25")), row(S("zed"), I(1), S("10.50")))
			b := newSlice(f, row(S("BOB"), I(1), S("5.50")))
			equalLines(t, mustRun(t, spec, a, b), c.want)
		})
	}
}

func mustConst(t *testing.T, v any) mysql.FieldValue {
	t.Helper()
	fv, err := constValue(v)
	if err != nil {
		t.Fatal(err)
	}
	return fv
}

// TestCountDistinctMerge: COUNT(DISTINCT x) pushed down as x (grouped by
// it) counts each value once across shards, compares strings by the
// column's collation (general_ci: "bob" = "BOB"), skips NULL, types the
// result as BIGINT, and a group with more distinct values than MaxRows
// fails instead of exhausting memory. If it fails, COUNT(DISTINCT) over a
// sharded table double-counts values that live on several shards.
func TestCountDistinctMerge(t *testing.T) {
	f := []*mysql.Field{strF("city", 45), strF("COUNT(DISTINCT name)", 45)}
	spec := router.MergeSpec{GroupBy: []int{0}, Limit: -1, OrderBy: []router.OrderColumn{{Column: 0}},
		Aggregates: []router.Aggregate{{Func: router.AggCountDistinct, Column: 1, Name: "COUNT(DISTINCT name)"}}}
	inputs := func() []*sliceStream {
		return []*sliceStream{
			newSlice(f, row(S("lima"), S("ann")), row(S("oslo"), S("bob")), row(S("oslo"), S("zed"))),
			newSlice(f, row(S("lima"), N), row(S("oslo"), S("BOB")), row(S("oslo"), S("eve"))),
		}
	}
	got := mustRun(t, &spec, inputs()...)
	equalLines(t, got, []string{"lima|1", "oslo|3"})
	p, err := newPlan(&spec, []router.RowStream{newSlice(f)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if out := p.outFields[1]; out.Type != mysql.MYSQL_TYPE_LONGLONG || string(out.Name) != "COUNT(DISTINCT name)" {
		t.Fatalf("COUNT(DISTINCT) field typed %d named %q, want BIGINT named after the aggregate", out.Type, out.Name)
	}
	if _, err := run(t, &spec, Options{MaxRows: 2}, inputs()...); err == nil || !strings.Contains(err.Error(), "distinct values") {
		t.Fatalf("3 distinct values with MaxRows 2: %v, want an error naming the bound", err)
	}
}
