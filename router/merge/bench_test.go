package merge

import (
	"fmt"
	"sort"
	"testing"

	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/shardline/shardline/router"
)

// benchInputs makes k sorted inputs of n rows: (id BIGINT, name general_ci,
// amount DECIMAL(10,2), cnt BIGINT), names cycling over groups values.
func benchInputs(k, n, groups int) [][][]mysql.FieldValue {
	out := make([][][]mysql.FieldValue, k)
	for s := range out {
		rows := make([][]mysql.FieldValue, n)
		for i := range rows {
			id := int64(i*k + s)
			rows[i] = row(I(id), S(fmt.Sprintf("Name-%05d", int(id)%groups)),
				S(fmt.Sprintf("%d.%02d", id%1000, id%100)), I(1))
		}
		out[s] = rows
	}
	return out
}

var benchFields = []*mysql.Field{intF("id"), strF("name", 45), decF("amount", 2), intF("cnt")}

func benchRun(b *testing.B, spec *router.MergeSpec, data [][][]mysql.FieldValue, wantRows int) {
	b.ReportAllocs()
	for b.Loop() {
		ins := make([]router.RowStream, len(data))
		for i, rows := range data {
			ins[i] = newSlice(benchFields, rows...)
		}
		s, err := New(spec, ins, Options{})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		if err := Drain(s, func([]mysql.FieldValue) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
		if n != wantRows {
			b.Fatalf("%d rows, want %d", n, wantRows)
		}
	}
}

// BenchmarkKMergeInt merges 4 inputs × 10k rows by a BIGINT column.
func BenchmarkKMergeInt(b *testing.B) {
	data := benchInputs(4, 10_000, 1000)
	spec := &router.MergeSpec{Limit: -1, OrderBy: []router.OrderColumn{{Column: 0}}}
	benchRun(b, spec, data, 40_000)
}

// BenchmarkKMergeGeneralCI merges 4 inputs × 10k rows by a general_ci
// VARCHAR column (each input sorted by it).
func BenchmarkKMergeGeneralCI(b *testing.B) {
	data := benchInputs(4, 10_000, 1_000_000)
	for _, rows := range data {
		sort.SliceStable(rows, func(i, j int) bool {
			return string(rows[i][1].AsString()) < string(rows[j][1].AsString())
		})
	}
	spec := &router.MergeSpec{Limit: -1, OrderBy: []router.OrderColumn{{Column: 1}}}
	benchRun(b, spec, data, 40_000)
}

// BenchmarkGroupBy aggregates 100k rows (4 inputs × 25k) into 1k groups
// keyed by a general_ci string: COUNT, SUM(DECIMAL) and AVG(DECIMAL).
func BenchmarkGroupBy(b *testing.B) {
	data := benchInputs(4, 25_000, 1000)
	spec := &router.MergeSpec{Limit: -1, GroupBy: []int{1}, Aggregates: []router.Aggregate{
		{Func: router.AggCount, Column: 3},
		{Func: router.AggAvg, Column: 2, CountColumn: 3},
	}}
	benchRun(b, spec, data, 1000)
}

// BenchmarkPassThrough streams 4 inputs × 10k rows unchanged.
func BenchmarkPassThrough(b *testing.B) {
	data := benchInputs(4, 10_000, 1000)
	benchRun(b, &router.MergeSpec{Limit: -1}, data, 40_000)
}

// BenchmarkGroupByStreaming aggregates 100k rows (4 inputs × 25k, each
// sorted by the key) into 1k groups with GROUP BY name ORDER BY name.
func BenchmarkGroupByStreaming(b *testing.B) {
	data := benchInputs(4, 25_000, 1000)
	for _, rows := range data {
		sort.SliceStable(rows, func(i, j int) bool {
			return string(rows[i][1].AsString()) < string(rows[j][1].AsString())
		})
	}
	spec := &router.MergeSpec{Limit: -1, GroupBy: []int{1}, OrderBy: []router.OrderColumn{{Column: 1}},
		Aggregates: []router.Aggregate{
			{Func: router.AggCount, Column: 3},
			{Func: router.AggAvg, Column: 2, CountColumn: 3},
		}}
	benchRun(b, spec, data, 1000)
}
