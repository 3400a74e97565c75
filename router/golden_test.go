package router

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
)

var update = flag.Bool("update", false, "rewrite the expected plans in testdata/*.json")

// goldenNow is the statement time of every golden case.
var goldenNow = time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)

// goldenMap is the shard map of the golden tests.
func goldenMap() *ShardMap {
	two := []Partition{{Shard: "t3306", Table: "order_01"}, {Shard: "t3307", Table: "order_02"}}
	return &ShardMap{
		Version: 7,
		Shards: map[string]*Shard{
			"t3306": {Addr: "127.0.0.1:13306", User: "root"},
			"t3307": {Addr: "127.0.0.1:13307", User: "root"},
		},
		Schemas: map[string]*Schema{
			"oms": {DefaultShard: "t3306", Tables: map[string]*TableRule{
				"orders": {ShardKey: "user_id", Algorithm: AlgoMod, Partitions: two},
				"items": {ShardKey: "user_id", Algorithm: AlgoMod, Partitions: []Partition{
					{Shard: "t3306", Table: "item_01"}, {Shard: "t3307", Table: "item_02"}}},
				"payments": {ShardKey: "user_id", Algorithm: AlgoMod, Partitions: []Partition{
					{Shard: "t3307", Table: "pay_01"}, {Shard: "t3306", Table: "pay_02"}}},
				"users": {Type: TypeBroadcast},
				"events": {ShardKey: "device", Algorithm: AlgoHash, Partitions: []Partition{
					{Shard: "t3306", Schema: "oms_a", Table: "ev_0"}, {Shard: "t3307", Schema: "oms_b", Table: "ev_1"},
					{Shard: "t3306", Schema: "oms_a", Table: "ev_2"}, {Shard: "t3307", Schema: "oms_b", Table: "ev_3"}}},
				"logs": {ShardKey: "day", Algorithm: AlgoRange, Partitions: []Partition{
					{Shard: "t3306", Table: "logs_1", Upper: 100}, {Shard: "t3307", Table: "logs_2", Upper: 200},
					{Shard: "t3307", Table: "logs_3"}}},
				"tickets": {ShardKey: "id", Algorithm: AlgoMod, AutoIncrement: "id", Partitions: []Partition{
					{Shard: "t3306", Table: "ticket_0"}, {Shard: "t3307", Table: "ticket_1"}}},
				"notes": {ShardKey: "user_id", Algorithm: AlgoMod, AutoIncrement: "id", Partitions: []Partition{
					{Shard: "t3306", Table: "note_01"}, {Shard: "t3307", Table: "note_02"}}},
			}},
			"crm": {DefaultShard: "t3307"},
		},
	}
}

type goldenTarget struct {
	Shard    string `json:"shard"`
	SQL      string `json:"sql"`
	Args     []any  `json:"args,omitempty"`
	PassArgs bool   `json:"pass_args,omitempty"`
}

// goldenNode is a plan node as the golden files show it: "node" names the
// type, the other fields are those of that type.
type goldenNode struct {
	Node      string         `json:"node"`
	Op        string         `json:"op,omitempty"`
	Write     bool           `json:"write,omitempty"`
	Broadcast bool           `json:"broadcast,omitempty"`
	Target    *goldenTarget  `json:"target,omitempty"`
	Targets   []goldenTarget `json:"targets,omitempty"`
	Merge     *MergeSpec     `json:"merge,omitempty"`
	Rename    *TableRename   `json:"rename,omitempty"`
	Sets      []SetVar       `json:"sets,omitempty"`
	DB        string         `json:"db,omitempty"`
	Static    *StaticResult  `json:"static,omitempty"`
	Columns   []string       `json:"columns,omitempty"`
	Sequence  string         `json:"sequence,omitempty"`
	Count     int            `json:"count,omitempty"`
	InsertID  uint64         `json:"insert_id,omitempty"`
	Generated bool           `json:"generated,omitempty"`
	ReadOnly  bool           `json:"read_only,omitempty"`
	KillID    uint64         `json:"kill_id,omitempty"`
	Query     bool           `json:"query,omitempty"`
	// Input is the plan a SequencedInsert runs; Then the continuation of a
	// Generate, planned with the case's auto_ids.
	Input *goldenNode `json:"input,omitempty"`
	Then  *goldenNode `json:"then,omitempty"`
}

type goldenCase struct {
	Comment string  `json:"comment,omitempty"`
	SQL     string  `json:"sql"`
	DB      *string `json:"db,omitempty"` // default "oms"
	Args    []any   `json:"args,omitempty"`
	// AutoIDs are Session.AutoIDs (the values the proxy allocated).
	AutoIDs    []uint64 `json:"auto_ids,omitempty"`
	NoAutoZero bool     `json:"no_auto_value_on_zero,omitempty"`
	// LastInsertID is Session.LastInsertID.
	LastInsertID uint64 `json:"last_insert_id,omitempty"`
	// ConnectionID is Session.ConnectionID.
	ConnectionID uint32 `json:"connection_id,omitempty"`
	// TableColumns is what Session.TableColumns answers for every table.
	TableColumns []string    `json:"table_columns,omitempty"`
	Plan         *goldenNode `json:"plan,omitempty"`
	Error        string      `json:"error,omitempty"`
}

var txnOps = map[TxnOp]string{TxnBegin: "begin", TxnCommit: "commit", TxnRollback: "rollback", TxnSavepoint: "savepoint"}

func goldenTargets(ts []Target) []goldenTarget {
	out := make([]goldenTarget, len(ts))
	for i, t := range ts {
		out[i] = goldenTarget(t)
	}
	return out
}

// toGolden describes a plan tree; a Generate's continuation is planned with
// ids (when given).
func toGolden(pl Plan, ids []uint64) (*goldenNode, error) {
	switch n := pl.(type) {
	case *Route:
		t := goldenTargets([]Target{n.Target})[0]
		return &goldenNode{Node: "route", Write: n.Write, Target: &t}, nil
	case *Scatter:
		return &goldenNode{Node: "scatter", Targets: goldenTargets(n.Targets), Merge: n.Merge, Rename: n.Rename}, nil
	case *MultiWrite:
		return &goldenNode{Node: "multi_write", Targets: goldenTargets(n.Targets), Broadcast: n.Broadcast}, nil
	case *DDL:
		return &goldenNode{Node: "ddl", Targets: goldenTargets(n.Targets)}, nil
	case *Generate:
		g := &goldenNode{Node: "generate", Sequence: n.Sequence, Count: n.Count}
		if ids != nil {
			next, err := n.Then(ids)
			if err != nil {
				return nil, err
			}
			if g.Then, err = toGolden(next, nil); err != nil {
				return nil, err
			}
		}
		return g, nil
	case *SequencedInsert:
		in, err := toGolden(n.Input, nil)
		if err != nil {
			return nil, err
		}
		return &goldenNode{Node: "sequenced_insert", Input: in, InsertID: n.InsertID, Generated: n.Generated}, nil
	case *Txn:
		return &goldenNode{Node: "txn", Op: txnOps[n.Op], ReadOnly: n.ReadOnly}, nil
	case *Set:
		return &goldenNode{Node: "set", Sets: n.Vars}, nil
	case *Use:
		return &goldenNode{Node: "use", DB: n.DB}, nil
	case *Static:
		return &goldenNode{Node: "static", Static: n.Result}, nil
	case *LastInsertID:
		return &goldenNode{Node: "last_insert_id", Columns: n.Columns}, nil
	case *Kill:
		return &goldenNode{Node: "kill", KillID: n.ID, Query: n.Query}, nil
	}
	return nil, fmt.Errorf("unknown plan node %T", pl)
}

func errText(err error) string {
	var me *mysql.MyError
	if errors.As(err, &me) {
		return fmt.Sprintf("%d %s: %s", me.Code, me.State, me.Message)
	}
	return "other: " + err.Error()
}

func marshal(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
	return b.String()
}

// TestGolden plans every statement of testdata/*.json and compares the
// plan (targets with physical SQL, merge spec) or the error with the file.
// go test ./router -run TestGolden -update rewrites the expectations.
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.json")
	if len(files) == 0 {
		t.Fatal("no golden files")
	}
	m := goldenMap()
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var cases []goldenCase
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(&cases); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		p := NewPlanner()
		for i := range cases {
			c := &cases[i]
			db := "oms"
			if c.DB != nil {
				db = *c.DB
			}
			var args []any
			if c.Args != nil {
				args = make([]any, len(c.Args))
				for j, a := range c.Args {
					if n, ok := a.(json.Number); ok {
						if iv, err := n.Int64(); err == nil {
							a = iv
						} else if fv, err := n.Float64(); err == nil {
							a = fv
						}
					}
					args[j] = a
				}
			}
			sess := Session{DB: db, NoAutoValueOnZero: c.NoAutoZero, LastInsertID: c.LastInsertID, ConnectionID: c.ConnectionID,
				Now: goldenNow}
			if c.TableColumns != nil {
				sess.TableColumns = func(shard, schema, table string) ([]string, error) { return c.TableColumns, nil }
			}
			pl, err := p.Plan(c.SQL, args, m, sess)
			got := *c
			got.Plan, got.Error = nil, ""
			if err == nil {
				got.Plan, err = toGolden(pl, c.AutoIDs)
			}
			if err != nil {
				got.Error = errText(err)
			}
			if *update {
				cases[i] = got
				continue
			}
			want := marshal(goldenCase{Plan: c.Plan, Error: c.Error})
			have := marshal(goldenCase{Plan: got.Plan, Error: got.Error})
			// numbers in the file decode as json.Number: compare as JSON text
			var wv, hv any
			_ = json.Unmarshal([]byte(want), &wv)
			_ = json.Unmarshal([]byte(have), &hv)
			if marshal(wv) != marshal(hv) {
				t.Errorf("%s: %s\n--- want\n%s--- got\n%s", f, c.SQL, want, have)
			}
		}
		if *update {
			if err := os.WriteFile(f, []byte(marshal(cases)), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestGoldenFilesCoverConstructs(t *testing.T) {
	// every golden file must have at least one case and no case without an
	// expectation (a forgotten -update)
	files, _ := filepath.Glob("testdata/*.json")
	for _, f := range files {
		data, _ := os.ReadFile(f)
		var cases []goldenCase
		if err := json.Unmarshal(data, &cases); err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			if c.Plan == nil && c.Error == "" {
				t.Errorf("%s: %q has no expectation (run with -update)", f, c.SQL)
			}
			if strings.TrimSpace(c.SQL) == "" {
				t.Errorf("%s: empty sql", f)
			}
		}
	}
}
