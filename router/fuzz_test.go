package router

import (
	"testing"
)

// FuzzPlan feeds arbitrary SQL (and a bound argument) to the planner over a
// map with every kind of table. The planner must never panic, and a plan it
// returns may only name shards of the map. If it fails, hostile or odd SQL
// can crash a proxy node or reach a shard that is not in the map.
func FuzzPlan(f *testing.F) {
	for _, s := range []string{
		"SELECT * FROM orders WHERE user_id = 1",
		"SELECT id FROM orders WHERE user_id IN (1, 2, ?) ORDER BY id LIMIT 3",
		"INSERT INTO orders (id, user_id) VALUES (1, 2), (3, ?)",
		"UPDATE orders SET amount = amount + 1 WHERE user_id = ?",
		"DELETE FROM events WHERE id BETWEEN 10 AND ?",
		"SELECT o.id FROM orders o JOIN lines l ON o.user_id = l.user_id WHERE o.user_id = 5",
		"SELECT COUNT(*), AVG(amount) FROM orders GROUP BY status HAVING COUNT(*) > 1",
		"SELECT DISTINCT name FROM users WHERE id = ? OR id = 7",
		"CREATE TABLE orders (id INT PRIMARY KEY, user_id INT)",
		"SHOW TABLES", "SHOW CREATE TABLE orders", "SET NAMES utf8mb4", "BEGIN", "USE other",
		"EXPLAIN FORMAT=SHARDLINE SELECT * FROM orders",
		"SELECT * FROM (SELECT * FROM orders WHERE user_id = 1) t",
		"INSERT INTO countries (code, name) VALUES ('no', 'Norway')",
	} {
		f.Add(s, int64(3))
	}
	m := fuzzMap()
	if err := m.Validate(); err != nil {
		f.Fatal(err)
	}
	p := NewPlanner()
	f.Fuzz(func(t *testing.T, sql string, arg int64) {
		args := make([]any, 0, 4)
		for i := 0; i < 4; i++ {
			args = append(args, arg+int64(i))
		}
		for _, a := range [][]any{nil, args} {
			plan, err := p.Plan(sql, a, m, Session{DB: "oms"})
			if err != nil {
				continue
			}
			for _, tg := range Targets(plan) {
				if _, ok := m.Shards[tg.Shard]; !ok {
					t.Fatalf("plan of %q targets shard %q, not in the map", sql, tg.Shard)
				}
			}
		}
	})
}

func fuzzMap() *ShardMap {
	parts := func(prefix string, uppers ...any) []Partition {
		var ps []Partition
		for i, s := range []string{"a", "b", "a", "b"} {
			p := Partition{Shard: s, Table: prefix + string(rune('0'+i))}
			if i < len(uppers) {
				p.Upper = uppers[i]
			}
			ps = append(ps, p)
		}
		return ps
	}
	return &ShardMap{
		Shards: map[string]*Shard{"a": {Addr: "127.0.0.1:1"}, "b": {Addr: "127.0.0.1:2"}},
		Schemas: map[string]*Schema{
			"oms": {DefaultShard: "a", Tables: map[string]*TableRule{
				"orders":    {ShardKey: "user_id", Algorithm: AlgoMod, Partitions: parts("order_")},
				"lines":     {ShardKey: "user_id", Algorithm: AlgoMod, Partitions: parts("line_")},
				"users":     {ShardKey: "id", Algorithm: AlgoHash, Partitions: parts("users_")},
				"events":    {ShardKey: "id", Algorithm: AlgoRange, Partitions: parts("events_", 100, 200, 300)},
				"countries": {Type: TypeBroadcast},
			}},
			"other": {DefaultShard: "b"},
		},
	}
}
