package router

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func baseMap() *ShardMap {
	return &ShardMap{
		Shards: map[string]*Shard{"t3306": {Addr: "127.0.0.1:13306"}, "t3307": {Addr: "127.0.0.1:13307"}},
		Schemas: map[string]*Schema{"oms": {DefaultShard: "t3306", Tables: map[string]*TableRule{
			"orders": {ShardKey: "user_id", Algorithm: AlgoMod, Partitions: []Partition{
				{Shard: "t3306", Table: "order_01"}, {Shard: "t3307", Table: "order_02"}}},
		}}},
	}
}

func TestValidate(t *testing.T) {
	rule := func(m *ShardMap) *TableRule { return m.Schemas["oms"].Tables["orders"] }
	for _, tc := range []struct {
		name string
		edit func(m *ShardMap)
		want string // "" = valid
	}{
		{"valid", func(m *ShardMap) {}, ""},
		{"golden map", func(m *ShardMap) { *m = *goldenMap() }, ""},
		{"unknown shard", func(m *ShardMap) { rule(m).Partitions[1].Shard = "t9" },
			`schemas.oms.tables.orders.partitions[1].shard: unknown shard "t9"`},
		{"missing shard", func(m *ShardMap) { rule(m).Partitions[0].Shard = "" },
			`schemas.oms.tables.orders.partitions[0].shard: missing`},
		{"missing table", func(m *ShardMap) { rule(m).Partitions[0].Table = "" },
			`schemas.oms.tables.orders.partitions[0].table: missing`},
		{"missing shard key", func(m *ShardMap) { rule(m).ShardKey = "" },
			`schemas.oms.tables.orders.shard_key: missing`},
		{"unknown algorithm", func(m *ShardMap) { rule(m).Algorithm = "md5" },
			`schemas.oms.tables.orders.algorithm: unknown algorithm "md5"`},
		{"missing algorithm", func(m *ShardMap) { rule(m).Algorithm = "" },
			`schemas.oms.tables.orders.algorithm: missing`},
		{"unknown type", func(m *ShardMap) { rule(m).Type = "mirror" },
			`schemas.oms.tables.orders.type: unknown type "mirror"`},
		{"no partitions", func(m *ShardMap) { rule(m).Partitions = nil },
			`schemas.oms.tables.orders.partitions: missing`},
		{"broadcast with auto_increment", func(m *ShardMap) {
			m.Schemas["oms"].Tables["users"] = &TableRule{Type: TypeBroadcast, AutoIncrement: "id"}
		}, `schemas.oms.tables.users.auto_increment: only sharded tables take values from a global sequence`},
		{"broadcast with partitions", func(m *ShardMap) { rule(m).Type = TypeBroadcast },
			`schemas.oms.tables.orders.partitions: a broadcast table has no partitions`},
		{"duplicate physical table", func(m *ShardMap) { rule(m).Partitions[1] = Partition{Shard: "t3306", Table: "order_01"} },
			`schemas.oms.tables.orders.partitions[1]: physical table oms.order_01 on shard t3306 is also schemas.oms.tables.orders.partitions[0]`},
		{"duplicate physical table across tables", func(m *ShardMap) {
			m.Schemas["oms"].Tables["items"] = &TableRule{ShardKey: "id", Algorithm: AlgoMod, Partitions: []Partition{{Shard: "t3307", Schema: "oms", Table: "order_02"}}}
		}, `schemas.oms.tables.orders.partitions[1]: physical table oms.order_02 on shard t3307 is also schemas.oms.tables.items.partitions[0]`},
		{"same table name in another schema is fine", func(m *ShardMap) {
			rule(m).Partitions[1] = Partition{Shard: "t3306", Schema: "oms2", Table: "order_01"}
		}, ""},
		{"unknown default shard", func(m *ShardMap) { m.Schemas["oms"].DefaultShard = "t9" },
			`schemas.oms.default_shard: unknown shard "t9"`},
		{"missing default shard", func(m *ShardMap) { m.Schemas["oms"].DefaultShard = "" },
			`schemas.oms.default_shard: missing`},
		{"shard without address", func(m *ShardMap) { m.Shards["t3307"].Addr = "" }, `shards.t3307.addr: missing`},
		{"unknown TLS mode", func(m *ShardMap) { m.Shards["t3307"].TLS = "yes" }, `shards.t3307.tls: "yes" is not verify or skip-verify`},
		{"CA without verify", func(m *ShardMap) { m.Shards["t3307"].TLSCA = "/ca.pem" }, `shards.t3307.tls_ca: only used with tls: verify`},
		{"nil shard", func(m *ShardMap) { m.Shards["t3307"] = nil }, `shards.t3307: missing definition`},
		{"nil table rule", func(m *ShardMap) { m.Schemas["oms"].Tables["x"] = nil }, `schemas.oms.tables.x: missing definition`},
		{"upper on mod", func(m *ShardMap) { rule(m).Partitions[0].Upper = 5 },
			`schemas.oms.tables.orders.partitions[0].upper: bounds are only for the range algorithm`},
		{"range ok", func(m *ShardMap) {
			rule(m).Algorithm = AlgoRange
			rule(m).Partitions[0].Upper = 100
		}, ""},
		{"range with last upper", func(m *ShardMap) {
			rule(m).Algorithm = AlgoRange
			rule(m).Partitions[0].Upper = 100
			rule(m).Partitions[1].Upper = 200.0
		}, ""},
		{"range strings", func(m *ShardMap) {
			rule(m).Algorithm = AlgoRange
			rule(m).Partitions[0].Upper = "m"
		}, ""},
		{"range missing upper", func(m *ShardMap) { rule(m).Algorithm = AlgoRange },
			`schemas.oms.tables.orders.partitions[0].upper: missing (only the last partition may omit it)`},
		{"range unordered", func(m *ShardMap) {
			rule(m).Algorithm = AlgoRange
			rule(m).Partitions[0].Upper = 100
			rule(m).Partitions[1].Upper = 100
		}, `schemas.oms.tables.orders.partitions[1].upper: 100 is not greater than the previous bound 100`},
		{"range mixed kinds", func(m *ShardMap) {
			rule(m).Algorithm = AlgoRange
			rule(m).Partitions[0].Upper = 100
			rule(m).Partitions[1].Upper = "z"
		}, `schemas.oms.tables.orders.partitions[1].upper: bounds must be all numbers or all strings`},
		{"range bad bound", func(m *ShardMap) {
			rule(m).Algorithm = AlgoRange
			rule(m).Partitions[0].Upper = []int{1}
		}, `schemas.oms.tables.orders.partitions[0].upper: [1] is not a number or a string`},
		{"hash equal split", func(m *ShardMap) { rule(m).Algorithm = AlgoHash }, ""},
		{"hash explicit", func(m *ShardMap) {
			rule(m).Algorithm = AlgoHash
			rule(m).Partitions[0].KeyspaceEnd = "4000000000000000"
			rule(m).Partitions[1].KeyspaceStart = "4000000000000000"
		}, ""},
		{"hash explicit start only", func(m *ShardMap) {
			rule(m).Algorithm = AlgoHash
			rule(m).Partitions[1].KeyspaceStart = "c000000000000000"
		}, ""},
		{"hash gap", func(m *ShardMap) {
			rule(m).Algorithm = AlgoHash
			rule(m).Partitions[0].KeyspaceEnd = "4000000000000000"
			rule(m).Partitions[1].KeyspaceStart = "5000000000000000"
		}, `schemas.oms.tables.orders.partitions[1].keyspace_start: leaves a gap after the previous partition's range`},
		{"hash overlap", func(m *ShardMap) {
			rule(m).Algorithm = AlgoHash
			rule(m).Partitions[0].KeyspaceEnd = "5000000000000000"
			rule(m).Partitions[1].KeyspaceStart = "4000000000000000"
		}, `schemas.oms.tables.orders.partitions[1].keyspace_start: overlaps or is before the previous partition's range`},
		{"hash first not at zero", func(m *ShardMap) {
			rule(m).Algorithm = AlgoHash
			rule(m).Partitions[0].KeyspaceStart = "0000000000000001"
		}, `schemas.oms.tables.orders.partitions[0].keyspace_start: the first partition must start at 0000000000000000`},
		{"hash last with end", func(m *ShardMap) {
			rule(m).Algorithm = AlgoHash
			rule(m).Partitions[1].KeyspaceStart = "8000000000000000"
			rule(m).Partitions[1].KeyspaceEnd = "ffffffffffffffff"
		}, `schemas.oms.tables.orders.partitions[1].keyspace_end: the last partition must end at the end of the keyspace`},
		{"hash bad hex", func(m *ShardMap) {
			rule(m).Algorithm = AlgoHash
			rule(m).Partitions[1].KeyspaceStart = "80"
		}, `schemas.oms.tables.orders.partitions[1].keyspace_start: "80" is not 16 hex digits`},
		{"hash bad hex start", func(m *ShardMap) {
			rule(m).Algorithm = AlgoHash
			rule(m).Partitions[0].KeyspaceEnd = "8000000000000000"
			rule(m).Partitions[1].KeyspaceStart = "zz00000000000000"
		}, `schemas.oms.tables.orders.partitions[1].keyspace_start: "zz00000000000000" is not 16 hex digits`},
		{"hash empty range", func(m *ShardMap) {
			rule(m).Algorithm = AlgoHash
			rule(m).Partitions = append(rule(m).Partitions, Partition{Shard: "t3307", Table: "order_03"})
			rule(m).Partitions[0].KeyspaceEnd = "4000000000000000"
			rule(m).Partitions[1].KeyspaceStart = "4000000000000000"
			rule(m).Partitions[1].KeyspaceEnd = "4000000000000000"
		}, `schemas.oms.tables.orders.partitions[1].keyspace_end: must be greater than keyspace_start`},
		{"keyspace on mod", func(m *ShardMap) { rule(m).Partitions[0].KeyspaceEnd = "4000000000000000" },
			`schemas.oms.tables.orders.partitions[0].keyspace_start: keyspace ranges are only for the hash algorithm`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := baseMap()
			tc.edit(m)
			err := m.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want != "" && err == nil:
				t.Fatalf("no error, want %q", tc.want)
			case tc.want != "" && !strings.HasPrefix(err.Error(), tc.want):
				t.Fatalf("error %q, want prefix %q", err, tc.want)
			}
		})
	}
}

func TestHashExplicitRanges(t *testing.T) {
	m := baseMap()
	r := m.Schemas["oms"].Tables["orders"]
	r.Algorithm = AlgoHash
	r.Partitions[1].KeyspaceStart = "c000000000000000"
	c, err := compile(m)
	if err != nil {
		t.Fatal(err)
	}
	cr := c.schema("oms").rule("orders")
	for _, v := range []any{1, 2, 3, "a", "b", "c", "d", 99, 1000} {
		k, _ := normKey(v)
		id, _ := keyspaceID(k)
		want := 0
		if id >= 0xc000000000000000 {
			want = 1
		}
		if got, _ := cr.index(k); got != want {
			t.Errorf("%v (%016x) -> %d, want %d", v, id, got, want)
		}
	}
}

func TestCloneAndRoundTrip(t *testing.T) {
	m := goldenMap()
	c := m.Clone()
	if !reflect.DeepEqual(m, c) {
		t.Fatal("clone differs")
	}
	c.Schemas["oms"].Tables["orders"].Partitions[0].Table = "x"
	c.Shards["t3306"].Addr = "y"
	if m.Schemas["oms"].Tables["orders"].Partitions[0].Table == "x" || m.Shards["t3306"].Addr == "y" {
		t.Fatal("clone shares memory with the original")
	}
	if (*ShardMap)(nil).Clone() != nil {
		t.Fatal("nil clone")
	}

	// JSON
	js, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var back ShardMap
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if err := back.Validate(); err != nil {
		t.Fatal(err)
	}
	js2, _ := json.Marshal(&back)
	if string(js) != string(js2) {
		t.Fatalf("JSON round trip changed the map:\n%s\n%s", js, js2)
	}
	// YAML
	ys, err := yaml.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var ym ShardMap
	if err := yaml.Unmarshal(ys, &ym); err != nil {
		t.Fatal(err)
	}
	if err := ym.Validate(); err != nil {
		t.Fatal(err)
	}
	ys2, _ := yaml.Marshal(&ym)
	if string(ys) != string(ys2) {
		t.Fatalf("YAML round trip changed the map:\n%s\n%s", ys, ys2)
	}
	// the decoded maps route exactly like the original
	p := NewPlanner()
	for _, sql := range []string{"select * from logs where day = 150", "select * from events where device = 'x'",
		"select * from orders where user_id = 3"} {
		a, err1 := p.Plan(sql, nil, m, Session{DB: "oms"})
		b, err2 := p.Plan(sql, nil, &back, Session{DB: "oms"})
		y, err3 := p.Plan(sql, nil, &ym, Session{DB: "oms"})
		if err1 != nil || err2 != nil || err3 != nil {
			t.Fatal(err1, err2, err3)
		}
		if Targets(a)[0].SQL != Targets(b)[0].SQL || Targets(a)[0].SQL != Targets(y)[0].SQL {
			t.Errorf("%s: %s / %s / %s", sql, Targets(a)[0].SQL, Targets(b)[0].SQL, Targets(y)[0].SQL)
		}
	}
	// a config-style YAML document
	doc := `
version: 0
shards:
  t3306: {addr: "127.0.0.1:13306", user: root}
  t3307: {addr: "127.0.0.1:13307", user: root, max_conns: 16}
schemas:
  oms:
    default_shard: t3306
    tables:
      orders:
        shard_key: user_id
        algorithm: range
        partitions:
          - {shard: t3306, table: order_01, upper: 1000}
          - {shard: t3307, table: order_02}
      users: {type: broadcast}
`
	var dm ShardMap
	if err := yaml.Unmarshal([]byte(doc), &dm); err != nil {
		t.Fatal(err)
	}
	if err := dm.Validate(); err != nil {
		t.Fatal(err)
	}
	pl, err := p.Plan("select * from orders where user_id = 999", nil, &dm, Session{DB: "oms"})
	if err != nil || Targets(pl)[0].Shard != "t3306" {
		t.Fatalf("%v %+v", err, pl)
	}
}
