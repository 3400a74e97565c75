package metaraft

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/shardline/shardline/router"
)

// makeLog encodes a command as the FSM receives it from Raft.
func makeLog(t testing.TB, index uint64, typ cmdType, body any) *raft.Log {
	t.Helper()
	data, err := command{typ, body}.encode()
	if err != nil {
		t.Fatal(err)
	}
	return &raft.Log{Index: index, Term: 1, Type: raft.LogCommand, Data: data}
}

// applyAll feeds cmds to f in order and returns the results.
func applyAll(t testing.TB, f *fsm, cmds []command) []applyResult {
	t.Helper()
	out := make([]applyResult, len(cmds))
	for i, c := range cmds {
		out[i] = f.Apply(makeLog(t, uint64(i+1), c.typ, c.body)).(applyResult)
	}
	return out
}

func u64(v uint64) *uint64 { return &v }

var (
	shardA = &router.Shard{Addr: "127.0.0.1:13306", User: "root"}
	ruleAB = &router.TableRule{ShardKey: "user_id", Algorithm: router.AlgoMod, Partitions: []router.Partition{
		{Shard: "a", Table: "order_01"}, {Shard: "b", Table: "order_02"}}}
	ruleItems = &router.TableRule{ShardKey: "id", Algorithm: router.AlgoHash, Partitions: []router.Partition{
		{Shard: "a", Table: "item_01"}, {Shard: "b", Table: "item_02"}}}
	baseMap = []command{
		{cmdPutShard, putShardCmd{Name: "a", Shard: shardA}},
		{cmdPutShard, putShardCmd{Name: "b", Shard: shardA}},
		{cmdPutSchema, putSchemaCmd{Name: "oms", DefaultShard: "a"}},
		{cmdPutTable, putTableCmd{Schema: "oms", Table: "orders", Rule: ruleAB}},
	}
)

// TestFSMShardMapCommands: if it fails, shard-map edits through Raft apply
// the wrong change, skip the version bump, ignore If-Match, or delete a
// shard that tables still route to.
func TestFSMShardMapCommands(t *testing.T) {
	tests := []struct {
		name    string
		cmd     command
		wantErr error
		check   func(*router.ShardMap) bool
	}{
		{"put table bumps version", command{cmdPutTable, putTableCmd{Schema: "oms", Table: "items", Rule: ruleItems}}, nil,
			func(m *router.ShardMap) bool { return m.Version == 5 && m.Schemas["oms"].Tables["items"] != nil }},
		{"if-match current version", command{cmdPutShard, putShardCmd{mapPrecondition{u64(4)}, "c", shardA}}, nil,
			func(m *router.ShardMap) bool { return m.Shards["c"] != nil }},
		{"if-match stale version", command{cmdPutShard, putShardCmd{mapPrecondition{u64(3)}, "c", shardA}}, ErrVersionConflict, nil},
		{"delete shard in use by table", command{cmdDeleteShard, deleteShardCmd{Name: "b"}}, ErrInUse, nil},
		{"delete shard in use as default", command{cmdDeleteShard, deleteShardCmd{Name: "a"}}, ErrInUse, nil},
		{"delete unknown shard", command{cmdDeleteShard, deleteShardCmd{Name: "zz"}}, ErrNotFound, nil},
		{"table in unknown schema", command{cmdPutTable, putTableCmd{Schema: "nope", Table: "t", Rule: ruleAB}}, ErrNotFound, nil},
		{"delete table", command{cmdDeleteTable, deleteTableCmd{Schema: "oms", Table: "orders"}}, nil,
			func(m *router.ShardMap) bool { return m.Schemas["oms"].Tables["orders"] == nil && m.Version == 5 }},
		{"delete missing table", command{cmdDeleteTable, deleteTableCmd{Schema: "oms", Table: "x"}}, ErrNotFound, nil},
		{"schema put keeps tables", command{cmdPutSchema, putSchemaCmd{Name: "oms", DefaultShard: "b"}}, nil,
			func(m *router.ShardMap) bool {
				return m.Schemas["oms"].DefaultShard == "b" && m.Schemas["oms"].Tables["orders"] != nil
			}},
		{"shard without name", command{cmdPutShard, putShardCmd{Shard: shardA}}, ErrInvalid, nil},
		{"set whole map", command{cmdSetShardMap, setShardMapCmd{mapPrecondition{u64(4)}, &router.ShardMap{Version: 99,
			Shards: map[string]*router.Shard{"x": shardA}}}}, nil,
			func(m *router.ShardMap) bool { return m.Version == 5 && len(m.Shards) == 1 && len(m.Schemas) == 0 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFSM(nil)
			applyAll(t, f, baseMap)
			before := f.shardMap.Load()
			res := f.Apply(makeLog(t, 10, tt.cmd.typ, tt.cmd.body)).(applyResult)
			if !errors.Is(res.Err, tt.wantErr) || (tt.wantErr == nil) != (res.Err == nil) {
				t.Fatalf("err = %v, want %v", res.Err, tt.wantErr)
			}
			after := f.shardMap.Load()
			if tt.wantErr != nil {
				if after != before {
					t.Fatal("a refused command replaced the map")
				}
				return
			}
			if !tt.check(after) {
				t.Fatalf("unexpected map: %+v", after)
			}
			if before.Version != 4 || len(before.Schemas["oms"].Tables) != 1 || before.Schemas["oms"].DefaultShard != "a" {
				t.Fatal("the published map was mutated in place")
			}
		})
	}
}

// TestFSMValidateRefusesBadRule: if it fails, a rule that router.Validate
// rejects is committed anyway and every proxy plans against a broken map.
func TestFSMValidateRefusesBadRule(t *testing.T) {
	bad := &router.ShardMap{Shards: map[string]*router.Shard{"a": shardA}, Schemas: map[string]*router.Schema{
		"oms": {DefaultShard: "a", Tables: map[string]*router.TableRule{"t": {ShardKey: "id", Algorithm: router.AlgoMod,
			Partitions: []router.Partition{{Shard: "t9", Table: "t_1"}}}}}}}
	if bad.Validate() == nil {
		t.Skip("router.(*ShardMap).Validate does not reject an unknown shard yet")
	}
	f := newFSM(nil)
	res := applyAll(t, f, []command{{cmdSetShardMap, setShardMapCmd{Map: bad}}})[0]
	if !errors.Is(res.Err, ErrInvalid) {
		t.Fatalf("err = %v, want ErrInvalid", res.Err)
	}
	if f.shardMap.Load().Version != 0 {
		t.Fatal("invalid map was published")
	}
}

// TestFSMDecisionCAS: if it fails, two coordinators (or a coordinator and
// the resolver) can record different outcomes for one transaction, and
// shards end up half committed.
func TestFSMDecisionCAS(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		cmds []command
		want []Outcome
		errs []error
	}{
		{"first wins", []command{
			{cmdRecordDecision, recordDecisionCmd{"g1", Abort, now}},
			{cmdRecordDecision, recordDecisionCmd{"g1", Commit, now}},
		}, []Outcome{Abort, Abort}, []error{nil, nil}},
		{"repeat is idempotent", []command{
			{cmdRecordDecision, recordDecisionCmd{"g1", Commit, now}},
			{cmdRecordDecision, recordDecisionCmd{"g1", Commit, now}},
		}, []Outcome{Commit, Commit}, []error{nil, nil}},
		{"resolved still answers", []command{
			{cmdRecordDecision, recordDecisionCmd{"g1", Commit, now}},
			{cmdMarkResolved, markResolvedCmd{"g1", now}},
			{cmdRecordDecision, recordDecisionCmd{"g1", Abort, now}},
		}, []Outcome{Commit, Commit, Commit}, []error{nil, nil, nil}},
		{"gc then late proposal refused", []command{
			{cmdRecordDecision, recordDecisionCmd{"g1", Commit, now}},
			{cmdMarkResolved, markResolvedCmd{"g1", now}},
			{cmdGCDecisions, gcDecisionsCmd{now.Add(time.Hour)}},
			{cmdRecordDecision, recordDecisionCmd{"g1", Abort, now}},
		}, []Outcome{Commit, Commit, "", ""}, []error{nil, nil, nil, ErrDecisionExpired}},
		{"bad outcome", []command{
			{cmdRecordDecision, recordDecisionCmd{"g1", "maybe", now}},
		}, []Outcome{""}, []error{ErrInvalid}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := applyAll(t, newFSM(nil), tt.cmds)
			for i, r := range res {
				if r.Outcome != tt.want[i] || !errors.Is(r.Err, tt.errs[i]) || (tt.errs[i] == nil) != (r.Err == nil) {
					t.Errorf("cmd %d: got (%q, %v), want (%q, %v)", i, r.Outcome, r.Err, tt.want[i], tt.errs[i])
				}
			}
		})
	}
}

// TestFSMGCKeepsUnresolved: if it fails, the GC deletes a decision whose
// branches are still in doubt and the resolver loses the outcome.
func TestFSMGCKeepsUnresolved(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := newFSM(nil)
	applyAll(t, f, []command{
		{cmdRecordDecision, recordDecisionCmd{"open", Commit, now}},
		{cmdRecordDecision, recordDecisionCmd{"done", Commit, now}},
		{cmdMarkResolved, markResolvedCmd{"done", now}},
		{cmdRecordDecision, recordDecisionCmd{"recent", Abort, now}},
		{cmdMarkResolved, markResolvedCmd{"recent", now.Add(2 * time.Hour)}},
		{cmdGCDecisions, gcDecisionsCmd{now.Add(time.Hour)}},
	})
	for g, want := range map[string]bool{"open": true, "done": false, "recent": true} {
		if _, ok := f.lookup(g); ok != want {
			t.Errorf("decision %s present = %v, want %v", g, ok, want)
		}
	}
}

// TestFSMSequences: if it fails, two proxies can be handed the same
// auto-increment values, or AdvanceSequence moves a sequence backwards.
func TestFSMSequences(t *testing.T) {
	f := newFSM(nil)
	res := applyAll(t, f, []command{
		{cmdAllocateBlock, allocateBlockCmd{"s", 10}},
		{cmdAllocateBlock, allocateBlockCmd{"s", 5}},
		{cmdAdvanceSequence, advanceSequenceCmd{"s", 100}},
		{cmdAdvanceSequence, advanceSequenceCmd{"s", 50}},
		{cmdAllocateBlock, allocateBlockCmd{"s", 1}},
		{cmdAllocateBlock, allocateBlockCmd{"other", 2}},
		{cmdAllocateBlock, allocateBlockCmd{"s", 0}},
	})
	want := [][2]uint64{{1, 10}, {11, 15}, {100, 0}, {100, 0}, {100, 100}, {1, 2}, {0, 0}}
	for i, w := range want {
		if res[i].First != w[0] || res[i].Last != w[1] {
			t.Errorf("cmd %d: got [%d,%d], want %v", i, res[i].First, res[i].Last, w)
		}
	}
	if !errors.Is(res[6].Err, ErrInvalid) {
		t.Errorf("size 0: err = %v, want ErrInvalid", res[6].Err)
	}
	if fl, other := f.sequenceFloor("s"), f.sequenceFloor("other"); fl != 100 || other != 0 {
		t.Errorf("floors: s %d, other %d; want 100 (the highest advance) and 0", fl, other)
	}
}

// TestFSMSnapshotRestore: if it fails, a node restarted from a snapshot (or
// a new node receiving one) has a different map, decisions, sequences or
// members than the others.
func TestFSMSnapshotRestore(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	src := newFSM(nil)
	cmds := append(append([]command{}, baseMap...),
		command{cmdRecordDecision, recordDecisionCmd{"g1", Commit, now}},
		command{cmdRecordDecision, recordDecisionCmd{"g2", Abort, now}},
		command{cmdMarkResolved, markResolvedCmd{"g2", now}},
		command{cmdGCDecisions, gcDecisionsCmd{now.Add(-time.Hour)}},
		command{cmdAllocateBlock, allocateBlockCmd{"s", 7}},
		command{cmdAdvanceSequence, advanceSequenceCmd{"s", 70}},
		command{cmdPutMember, putMemberCmd{Member{"n1", "r1", "a1", "m1"}}},
	)
	applyAll(t, src, cmds)
	dst := newFSM(nil)
	var got *router.ShardMap
	dst.onMapChange = func(m *router.ShardMap) { got = m }
	if err := dst.Restore(io.NopCloser(bytes.NewReader(persist(t, src)))); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(persist(t, src), persist(t, dst)) {
		t.Fatalf("restored state differs:\n%s\n%s", persist(t, src), persist(t, dst))
	}
	if got == nil || got.Version != 4 || dst.applied.Load() != uint64(len(cmds)) {
		t.Fatalf("restore did not publish the map or the applied index (%v, %d)", got, dst.applied.Load())
	}
	if dst.sequenceFloor("s") != 70 {
		t.Fatalf("sequence floor after restore: %d, want 70", dst.sequenceFloor("s"))
	}
	if d, ok := dst.lookup("g2"); !ok || !d.Resolved || d.Outcome != Abort {
		t.Fatalf("decision g2 after restore: %+v %v", d, ok)
	}
}

// persist renders the FSM's snapshot with sorted slices (map order is random).
func persist(t *testing.T, f *fsm) []byte {
	t.Helper()
	snap, err := f.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	s := snap.(*snapshotState)
	sortSnapshot(s)
	sink := &memSink{}
	if err := s.Persist(sink); err != nil {
		t.Fatal(err)
	}
	return sink.Bytes()
}

type memSink struct{ bytes.Buffer }

func (m *memSink) ID() string    { return "mem" }
func (m *memSink) Cancel() error { return nil }
func (m *memSink) Close() error  { return nil }

// TestFSMRejectsGarbage: if it fails, a node applies an entry it cannot
// decode as something else (or skips it) and silently diverges from the
// others instead of stopping.
func TestFSMRejectsGarbage(t *testing.T) {
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"unknown type", []byte{0xEE, '{', '}'}},
		{"bad json", []byte{byte(cmdPutShard), '{'}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("Apply did not panic")
				}
			}()
			newFSM(nil).Apply(&raft.Log{Index: 1, Type: raft.LogCommand, Data: tt.data})
		})
		if checkCommand(tt.data) == nil {
			t.Errorf("%s: checkCommand accepted what Apply panics on", tt.name)
		}
	}
}

// TestFSMDeterministic: if it fails, two nodes applying the same log end in
// different states (e.g. a wall-clock read inside Apply).
func TestFSMDeterministic(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cmds := append(append([]command{}, baseMap...),
		command{cmdRecordDecision, recordDecisionCmd{"g1", Commit, now}},
		command{cmdAllocateBlock, allocateBlockCmd{"s", 3}})
	a, b := newFSM(nil), newFSM(nil)
	applyAll(t, a, cmds)
	time.Sleep(2 * time.Millisecond)
	applyAll(t, b, cmds)
	if !reflect.DeepEqual(persist(t, a), persist(t, b)) {
		t.Fatal("same log, different states")
	}
}
