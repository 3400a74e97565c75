package router

import (
	"strconv"
	"testing"

	"github.com/shardline/shardline/sqlparse"
)

var benchStmts = []struct {
	name, sql string
	args      []any
}{
	{"PointSelect", "select id, amount, status from orders where user_id = 42 and id = 7", nil},
	{"Insert", "insert into orders (id, user_id, amount, status) values (1, 42, 9.5, 'new'), (2, 43, 1.25, 'new')", nil},
	{"ScatterOrderLimit", "select id, amount from orders where status = 'new' order by created_at desc limit 20, 10", nil},
}

// BenchmarkParsePlan: a new SQL text every time (no cache helps): parse,
// analyse, restore and plan.
func BenchmarkParsePlan(b *testing.B) {
	m := goldenMap()
	for _, bs := range benchStmts {
		b.Run(bs.name, func(b *testing.B) {
			p := NewPlanner()
			c, _ := p.compiled(m)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				st, text, err := sqlparse.Analyze(bs.sql, sqlparse.Options{})
				if err != nil {
					b.Fatal(err)
				}
				pc := &pctx{c: c, st: st, text: text, sess: Session{DB: "oms"}}
				if _, err := pc.plan(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPlanCached: the same text query again (analysis cache hit:
// lexing, the shape's analysis, planning and splicing).
func BenchmarkPlanCached(b *testing.B) {
	m := goldenMap()
	for _, bs := range benchStmts {
		b.Run(bs.name, func(b *testing.B) {
			p := NewPlanner()
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := p.Plan(bs.sql, nil, m, Session{DB: "oms"}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPlanPrepared: a prepared statement executed with new values
// (analysis cached, routing and SQL rendering every time).
func BenchmarkPlanPrepared(b *testing.B) {
	m := goldenMap()
	stmts := []struct {
		name, sql string
		args      func(i int) []any
	}{
		{"PointSelect", "select id, amount, status from orders where user_id = ? and id = ?", func(i int) []any { return []any{int64(i), int64(7)} }},
		{"Insert", "insert into orders (id, user_id, amount, status) values (?, ?, ?, ?), (?, ?, ?, ?)", func(i int) []any {
			return []any{int64(i), int64(i), 9.5, "new", int64(i + 1), int64(i + 1), 1.25, "new"}
		}},
		{"ScatterOrderLimit", "select id, amount from orders where status = ? order by created_at desc limit ?, ?", func(i int) []any {
			return []any{"new", int64(20), int64(10)}
		}},
	}
	for _, bs := range stmts {
		b.Run(bs.name, func(b *testing.B) {
			p := NewPlanner()
			args := make([][]any, 64)
			for i := range args {
				args[i] = bs.args(i)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := p.Plan(bs.sql, args[i%64], m, Session{DB: "oms"}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPlanUnsharded: the fast path (unchanged SQL on the default
// shard) over 1024 texts (plan-cache hits after the first round).
func BenchmarkPlanUnsharded(b *testing.B) {
	m := goldenMap()
	p := NewPlanner()
	sqls := make([]string, 1024)
	for i := range sqls {
		sqls[i] = "select * from customers where id = " + strconv.Itoa(i)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := p.Plan(sqls[i%1024], nil, m, Session{DB: "oms"}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPlanAutoID: what the planner adds to an INSERT with a generated
// id: the request plan (cached) and the plan with the values (never
// cached), for one row and for ten rows, against an explicit-id INSERT of
// the same shape (cached plan).
func BenchmarkPlanAutoID(b *testing.B) {
	m := goldenMap()
	ten := "insert into tickets (title) values ('a'),('b'),('c'),('d'),('e'),('f'),('g'),('h'),('i'),('j')"
	cases := []struct {
		name, sql string
		rows      int
	}{
		{"explicit", "insert into tickets (id, title) values (7, 'x')", 0},
		{"generated-1", "insert into tickets (title) values ('x')", 1},
		{"generated-10", ten, 10},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			p := NewPlanner()
			ids := make([]uint64, c.rows)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				pl, err := p.Plan(c.sql, nil, m, Session{DB: "oms"})
				if err != nil {
					b.Fatal(err)
				}
				if g, ok := pl.(*Generate); ok {
					for j := range ids {
						ids[j] = uint64(i*c.rows + j + 1)
					}
					if _, err := g.Then(ids); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
