package router

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/go-mysql-org/go-mysql/mysql"
)

func code(err error) uint16 {
	var me *mysql.MyError
	if errors.As(err, &me) {
		return me.Code
	}
	return 0
}

func TestPrepared(t *testing.T) {
	m := goldenMap()
	p := NewPlanner()
	const sql = "select * from orders where user_id = ? and amount > ?"
	pr, err := p.Prepare(sql, m, Session{DB: "oms"})
	if err != nil {
		t.Fatal(err)
	}
	if pr.ParamCount != 2 || len(Targets(pr.Probe)) != 1 {
		t.Fatalf("ParamCount = %d, probe %+v", pr.ParamCount, pr.Probe)
	}
	for _, tc := range []struct {
		uid   any
		shard string
	}{{int64(2), "t3306"}, {int64(3), "t3307"}, {"4", "t3306"}, {[]byte("5"), "t3307"}, {uint64(7), "t3307"}} {
		pl, err := p.Plan(sql, []any{tc.uid, 10}, m, Session{DB: "oms"})
		if err != nil {
			t.Fatal(err)
		}
		if len(Targets(pl)) != 1 || Targets(pl)[0].Shard != tc.shard || !Targets(pl)[0].PassArgs {
			t.Errorf("user_id %v: %+v", tc.uid, Targets(pl))
		}
	}
	// NULL key: no row matches, any single partition is fine; a string that
	// is not an integer cannot be routed by mod: scatter
	pl, err := p.Plan(sql, []any{"x", 1}, m, Session{DB: "oms"})
	if sc, ok := pl.(*Scatter); err != nil || !ok || len(sc.Targets) != 2 {
		t.Fatalf("%v %+v", err, pl)
	}
	if _, err := p.Plan(sql, []any{1}, m, Session{DB: "oms"}); code(err) != mysql.ER_WRONG_ARGUMENTS {
		t.Fatalf("wrong arg count: %v", err)
	}
	if _, err := p.Prepare("selec 1", m, Session{}); code(err) != mysql.ER_PARSE_ERROR {
		t.Fatalf("parse error: %v", err)
	}
	if _, err := p.Prepare("lock tables orders read", m, Session{}); code(err) != mysql.ER_NOT_SUPPORTED_YET {
		t.Fatalf("unsupported: %v", err)
	}
	// the map may change between executions
	m2 := goldenMap()
	m2.Schemas["oms"].Tables["orders"].Partitions[0].Shard = "t3307"
	pl, err = p.Plan(sql, []any{2, 1}, m2, Session{DB: "oms"})
	if err != nil || Targets(pl)[0].Shard != "t3307" {
		t.Fatalf("after a map change: %v %+v", err, pl)
	}
}

// TestPlansFollowTheMapAndTheText: plans are made per execution from the
// cached analysis of the statement's shape, so a new map, a new database
// or new literal values give a new plan.
func TestPlansFollowTheMapAndTheText(t *testing.T) {
	m := goldenMap()
	p := NewPlanner()
	a, err := p.Plan("select * from orders where user_id = 1", nil, m, Session{DB: "oms"})
	if err != nil {
		t.Fatal(err)
	}
	if Targets(a)[0].Shard != "t3307" {
		t.Fatalf("user_id 1: %+v", Targets(a))
	}
	b, _ := p.Plan("select * from orders where user_id = 2", nil, m, Session{DB: "oms"})
	if Targets(b)[0].Shard != "t3306" || Targets(b)[0].SQL != "select * from `oms`.`order_01` where user_id = 2" {
		t.Fatalf("same shape, other value: %+v", Targets(b))
	}
	if p.parser.CacheLen() != 1 {
		t.Fatalf("two texts of one shape: %d cached analyses, want 1", p.parser.CacheLen())
	}
	if c, _ := p.Plan("select * from orders where user_id = 1", nil, m, Session{DB: "crm"}); Targets(c)[0].SQL != "select * from orders where user_id = 1" {
		t.Fatalf("orders of crm is an unsharded table: %+v", Targets(c))
	}
	// another map: another plan
	m2 := m.Clone()
	m2.Schemas["oms"].Tables["orders"].Partitions[1].Shard = "t3306"
	d, _ := p.Plan("select * from orders where user_id = 1", nil, m2, Session{DB: "oms"})
	if Targets(d)[0].Shard != "t3306" {
		t.Fatalf("plan of the new map: %+v", Targets(d))
	}
	// prepared executions carry their own values
	x, _ := p.Plan("select * from orders where user_id = ?", []any{1}, m, Session{DB: "oms"})
	y, _ := p.Plan("select * from orders where user_id = ?", []any{2}, m, Session{DB: "oms"})
	if Targets(x)[0].Args[0] != 1 || Targets(y)[0].Args[0] != 2 {
		t.Fatal("prepared plans")
	}
}

func TestInvalidMap(t *testing.T) {
	m := goldenMap()
	m.Schemas["oms"].DefaultShard = "nope"
	if _, err := NewPlanner().Plan("select 1", nil, m, Session{}); err == nil {
		t.Fatal("planning against an invalid map")
	}
}

func TestConcurrentPlanning(t *testing.T) {
	m := goldenMap()
	p := NewPlanner()
	stmts := []string{
		"select * from orders where user_id = %d",
		"select id from orders where amount > %d order by id limit 5",
		"insert into orders (id, user_id) values (%d, 1), (2, 2)",
		"select avg(amount) from orders where status = 's%d'",
		"update items set qty = %d where user_id = 3",
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 300; i++ {
				sql := fmt.Sprintf(stmts[(g+i)%len(stmts)], i%17)
				if _, err := p.Plan(sql, nil, m, Session{DB: "oms"}); err != nil {
					t.Error(err)
					return
				}
				if _, err := p.Plan("select * from orders where user_id = ?", []any{i}, m, Session{DB: "oms"}); err != nil {
					t.Error(err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
}

func TestMergeSpecResolve(t *testing.T) {
	s := &MergeSpec{HiddenColumns: 2, OrderBy: []OrderColumn{{Column: -1}, {Column: 0, Desc: true}},
		Aggregates: []Aggregate{{Func: AggAvg, Column: -2, CountColumn: -1}}, Limit: -1}
	r := s.Resolve(7)
	if r.OutputColumns != 5 || r.HiddenColumns != 0 || r.OrderBy[0].Column != 6 || r.OrderBy[1].Column != 0 ||
		r.Aggregates[0].Column != 5 || r.Aggregates[0].CountColumn != 6 {
		t.Fatalf("%+v", r)
	}
	if s.OrderBy[0].Column != -1 {
		t.Fatal("Resolve changed the shared spec")
	}
	plain := &MergeSpec{OutputColumns: 2, OrderBy: []OrderColumn{{Column: 2}}}
	if plain.Resolve(3) != plain {
		t.Fatal("a spec without relative columns is returned as is")
	}
}

// TestInsertSplitKeepsEveryRow: every row of a multi-row INSERT lands in
// exactly one target, with the arguments of its own markers.
func TestInsertSplitKeepsEveryRow(t *testing.T) {
	m := goldenMap()
	p := NewPlanner()
	var args []any
	sql := "insert into events (device, v) values "
	for i := 0; i < 40; i++ {
		if i > 0 {
			sql += ","
		}
		sql += "(?, ?)"
		args = append(args, fmt.Sprintf("dev-%d", i), int64(i))
	}
	pl, err := p.Plan(sql, args, m, Session{DB: "oms"})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	c, _ := compile(m)
	r := c.schema("oms").rule("events")
	for _, tg := range Targets(pl) {
		for j := 0; j < len(tg.Args); j += 2 {
			k, _ := normKey(tg.Args[j])
			idx, _ := r.index(k)
			if r.parts[idx].shard != tg.Shard {
				t.Errorf("row %v on %s, its partition is on %s", tg.Args[j], tg.Shard, r.parts[idx].shard)
			}
			seen[tg.Args[j+1].(int64)] = true
		}
	}
	if len(seen) != 40 || len(Targets(pl)) != 4 {
		t.Fatalf("rows %d, targets %d", len(seen), len(Targets(pl)))
	}
}
