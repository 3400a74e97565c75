package merge

import (
	"testing"

	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/shardline/shardline/router"
)

// TestOrderMergeComparisons checks the k-way merge orders each column type
// the way MySQL does. If it fails, a scattered ORDER BY returns rows in the
// wrong order (or the merge interleaves sorted inputs incorrectly) for that
// type or collation.
func TestOrderMergeComparisons(t *testing.T) {
	asc := []router.OrderColumn{{Column: 0}}
	desc := []router.OrderColumn{{Column: 0, Desc: true}}
	cases := []struct {
		name  string
		field *mysql.Field
		order []router.OrderColumn
		a, b  [][]mysql.FieldValue
		want  []string
	}{
		{"signed vs unsigned", intF("x"), asc,
			[][]mysql.FieldValue{{I(-5)}, {I(3)}, {I(1 << 62)}},
			[][]mysql.FieldValue{{U(2)}, {U(1<<63 + 1)}},
			[]string{"-5", "2", "3", "4611686018427387904", "9223372036854775809"}},
		{"decimal text exact", decF("x", 2), asc,
			[][]mysql.FieldValue{{S("-10.50")}, {S("9.75")}, {S("10.5")}},
			[][]mysql.FieldValue{{S("-2.00")}, {S("10.49")}, {S("100.00")}},
			[]string{"-10.50", "-2.00", "9.75", "10.49", "10.5", "100.00"}},
		{"double", dblF("x"), asc,
			[][]mysql.FieldValue{{F(-1.5)}, {F(2.25)}},
			[][]mysql.FieldValue{{F(0)}, {F(1e10)}},
			[]string{"-1.5", "0", "2.25", "1e+10"}},
		{"datetime text and binary forms", dateF("x"), asc,
			[][]mysql.FieldValue{{S("2023-12-31 23:59:59.5")}, {S("2024-01-01 10:00:00")}},
			[][]mysql.FieldValue{{S("2024-01-01 09:59:59.999999")}, {S("2024-01-01 10:00:00.000001")}},
			[]string{"2023-12-31 23:59:59.5", "2024-01-01 09:59:59.999999",
				"2024-01-01 10:00:00", "2024-01-01 10:00:00.000001"}},
		{"time with sign and long hours", timeF("x"), asc,
			[][]mysql.FieldValue{{S("-838:59:59")}, {S("99:00:00")}},
			[][]mysql.FieldValue{{S("-00:00:01")}, {S("100:00:00")}},
			[]string{"-838:59:59", "-00:00:01", "99:00:00", "100:00:00"}},
		{"general_ci case and accents", strF("x", 45), asc,
			[][]mysql.FieldValue{{S("bob")}, {S("Émile")}, {S("zed")}},
			[][]mysql.FieldValue{{S("Alice")}, {S("BOB")}, {S("eve")}},
			[]string{"Alice", "bob", "BOB", "Émile", "eve", "zed"}},
		{"utf8mb4_bin byte order", strF("x", 46), asc,
			[][]mysql.FieldValue{{S("BOB")}, {S("bob")}},
			[][]mysql.FieldValue{{S("Zed")}, {S("Émile")}},
			[]string{"BOB", "Zed", "bob", "Émile"}},
		{"latin1_swedish_ci puts Ä after Z", strF("x", 8), asc,
			[][]mysql.FieldValue{{S("\xc4ra")}}, // "Ära" in latin1
			[][]mysql.FieldValue{{S("alf")}, {S("zoo")}},
			[]string{"alf", "zoo", "\xc4ra"}},
		{"NULL first ascending", intF("x"), asc,
			[][]mysql.FieldValue{{N}, {I(1)}},
			[][]mysql.FieldValue{{I(0)}},
			[]string{"NULL", "0", "1"}},
		{"NULL last descending", intF("x"), desc,
			[][]mysql.FieldValue{{I(1)}, {N}},
			[][]mysql.FieldValue{{I(5)}, {I(0)}},
			[]string{"5", "1", "0", "NULL"}},
		{"descending general_ci", strF("x", 45), desc,
			[][]mysql.FieldValue{{S("zed")}, {S("Émile")}},
			[][]mysql.FieldValue{{S("Fay")}, {S("abe")}},
			[]string{"zed", "Fay", "Émile", "abe"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := []*mysql.Field{c.field}
			got := mustRun(t, &router.MergeSpec{OrderBy: c.order, Limit: -1},
				newSlice(f, c.a...), newSlice(f, c.b...))
			equalLines(t, got, c.want)
		})
	}
}

// TestOrderMergeMultiKeyStable checks multi-column ORDER BY with mixed
// directions and that equal rows come out in input order. If it fails,
// secondary sort keys are ignored or ties are emitted nondeterministically.
func TestOrderMergeMultiKeyStable(t *testing.T) {
	f := []*mysql.Field{strF("name", 45), intF("n"), intF("src")}
	a := newSlice(f, row(S("a"), I(2), I(0)), row(S("a"), I(1), I(0)), row(S("b"), I(1), I(0)))
	b := newSlice(f, row(S("A"), I(2), I(1)), row(S("B"), I(1), I(1)))
	spec := &router.MergeSpec{OrderBy: []router.OrderColumn{{Column: 0}, {Column: 1, Desc: true}}, Limit: -1}
	equalLines(t, mustRun(t, spec, a, b), []string{
		"a|2|0", "A|2|1", "a|1|0", "b|1|0", "B|1|1"})
}

// TestLimitOffset checks OFFSET/LIMIT on the pass-through and merge paths
// and that reading stops at the limit. If it fails, clients get too many or
// too few rows, or the proxy keeps reading shards after LIMIT is satisfied.
func TestLimitOffset(t *testing.T) {
	f := []*mysql.Field{intF("x")}
	cases := []struct {
		name          string
		order         []router.OrderColumn
		offset, limit int64
		want          []string
		maxNexts      int // total Next calls allowed on the inputs
	}{
		{"passthrough limit", nil, 0, 2, []string{"1", "3"}, 2},
		{"passthrough offset crosses inputs", nil, 3, 2, []string{"2", "4"}, 6},
		{"passthrough limit 0 reads nothing", nil, 0, 0, nil, 0},
		{"merge limit", []router.OrderColumn{{Column: 0}}, 0, 3, []string{"1", "2", "3"}, 4},
		{"merge offset", []router.OrderColumn{{Column: 0}}, 2, 2, []string{"3", "4"}, 5},
		{"merge no limit", []router.OrderColumn{{Column: 0}}, 4, -1, []string{"5", "6"}, 8},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := newSlice(f, row(I(1)), row(I(3)), row(I(5)))
			b := newSlice(f, row(I(2)), row(I(4)), row(I(6)))
			spec := &router.MergeSpec{OrderBy: c.order, Offset: c.offset, Limit: c.limit}
			equalLines(t, mustRun(t, spec, a, b), c.want)
			if n := a.nexts + b.nexts; n > c.maxNexts {
				t.Errorf("inputs read %d times, want at most %d", n, c.maxNexts)
			}
		})
	}
}

// TestOrderMergeEnum: with Options.Enums an ENUM column orders by the
// position of its value in the definition, as MySQL (and each target's
// pushed-down ORDER BY) does, in the k-way merge and in the sort after a
// GROUP BY. If it fails, ORDER BY an ENUM across shards interleaves the
// targets' rows wrongly.
func TestOrderMergeEnum(t *testing.T) {
	f := []*mysql.Field{strF("kind", 45)}
	enums := map[int][]string{0: {"view", "click", "buy"}}
	inputs := func() []*sliceStream {
		return []*sliceStream{ // each sorted by position, as MariaDB sends them
			newSlice(f, row(S("view")), row(S("buy"))),
			newSlice(f, row(S("click")), row(S("buy"))),
		}
	}
	for _, c := range []struct {
		name string
		spec router.MergeSpec
		want []string
	}{
		{"k-way merge", router.MergeSpec{Limit: -1, OrderBy: []router.OrderColumn{{Column: 0}}},
			[]string{"view", "click", "buy", "buy"}},
		{"descending", router.MergeSpec{Limit: -1, OrderBy: []router.OrderColumn{{Column: 0, Desc: true}}},
			[]string{"buy", "buy", "click", "view"}},
		{"distinct", router.MergeSpec{Limit: -1, Distinct: true, OrderBy: []router.OrderColumn{{Column: 0}}},
			[]string{"view", "click", "buy"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := inputs()
			if c.spec.OrderBy[0].Desc {
				in = []*sliceStream{newSlice(f, row(S("buy")), row(S("view"))), newSlice(f, row(S("buy")), row(S("click")))}
			}
			got, err := run(t, &c.spec, Options{Enums: enums}, in...)
			if err != nil {
				t.Fatal(err)
			}
			equalLines(t, got, c.want)
		})
	}
}
