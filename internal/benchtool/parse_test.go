package main

import (
	"math"
	"testing"
)

// sampleSysbench is the shape of sysbench 1.0.20 output with --histogram=on
// (trimmed): the histogram first, then the statistics.
const sampleSysbench = `Threads started!

Latency histogram (values are in milliseconds)
       value  ------------- distribution ------------- count
       0.100 |****                                     10
       0.200 |****************************************  80
       0.500 |**                                       9
       2.000 |*                                        1

SQL statistics:
    queries performed:
        read:                            1400
        write:                           400
        other:                           200
        total:                           2000
    transactions:                        100    (19.99 per sec.)
    queries:                             2000   (399.80 per sec.)
    ignored errors:                      3      (0.60 per sec.)
    reconnects:                          0      (0.00 per sec.)

Latency (ms):
         min:                                    0.10
         avg:                                    0.25
         max:                                    2.00
         95th percentile:                        0.45
         sum:                                    25.00
`

// TestParseSysbench: the report's QPS, TPS, errors and percentiles come from
// this parser; if it fails, every sysbench number in BENCHMARKS.md is wrong.
func TestParseSysbench(t *testing.T) {
	r := parseSysbench(sampleSysbench)
	checks := []struct {
		name      string
		got, want float64
	}{
		{"tps", r.tps, 19.99},
		{"qps", r.qps, 399.80},
		{"queries", float64(r.queries), 2000},
		{"errors", float64(r.errors), 3},
		{"p95", r.p95, 0.45},
		{"max", r.max, 2.00},
		{"p50 (histogram)", r.p50, 0.200},
		{"p99 (histogram)", r.p99, 0.500},
	}
	for _, c := range checks {
		if math.Abs(c.got-c.want) > 1e-9 {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if r.err != nil {
		t.Errorf("err = %v", r.err)
	}
	if r := parseSysbench("FATAL: boom"); r.err == nil {
		t.Error("output without transactions: no error")
	}
}

// TestHistPercentile: percentiles are the first bucket reaching the rank.
func TestHistPercentile(t *testing.T) {
	vals, counts := []float64{1, 2, 3, 4}, []int64{25, 25, 25, 25}
	cases := []struct{ q, want float64 }{{0.01, 1}, {0.25, 1}, {0.26, 2}, {0.50, 2}, {0.99, 4}, {1, 4}}
	for _, c := range cases {
		if got := histPercentile(vals, counts, 100, c.q); got != c.want {
			t.Errorf("q=%v: %v, want %v", c.q, got, c.want)
		}
	}
	if got := histPercentile(nil, nil, 0, 0.5); got != 0 {
		t.Errorf("empty histogram: %v", got)
	}
}

// TestMedian: medians of odd and even counts, input left unsorted.
func TestMedian(t *testing.T) {
	in := []float64{5, 1, 3, 2}
	cases := []struct {
		v    []float64
		want float64
	}{{nil, 0}, {[]float64{7}, 7}, {[]float64{3, 1, 2}, 2}, {in, 2.5}}
	for _, c := range cases {
		if got := median(c.v); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.v, got, c.want)
		}
	}
	if in[0] != 5 {
		t.Error("median sorted its input")
	}
}

// TestBenchLineParse: go test -bench lines, with custom metrics, are what
// the Go benchmark tables and the Raft target read.
func TestBenchLineParse(t *testing.T) {
	out := "BenchmarkRecordDecision/via=leader/writers=64-2   \t   10000\t    124203 ns/op\t      8051 ops/s\n" +
		"BenchmarkPlanUnsharded-2 	 1000000	       251.0 ns/op	      51 B/op	       1 allocs/op\n"
	var lines []benchLine
	for _, l := range splitLines(out) {
		if m := reBench.FindStringSubmatch(l); m != nil {
			lines = append(lines, parseBenchLine(m))
		}
	}
	_, med := benchMedians(lines)
	if v := med["RecordDecision/via=leader/writers=64"]["ops/s"]; v != 8051 {
		t.Errorf("ops/s = %v, want 8051 (%v)", v, med)
	}
	if v := med["PlanUnsharded"]["B/op"]; v != 51 {
		t.Errorf("B/op = %v, want 51 (%v)", v, med)
	}
}
