package metaraft

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"

	"github.com/shardline/shardline/router"
)

// fsm is the replicated state machine. Concurrency contract (hashicorp/raft
// fsm.go): Apply, Snapshot and Restore are called from one goroutine, never
// concurrently with each other; FSMSnapshot.Persist runs concurrently with
// Apply, so Snapshot copies what it needs. Readers on other goroutines use
// the atomic map pointer (no lock) or mu for the rest of the state.
type fsm struct {
	shardMap atomic.Pointer[router.ShardMap]
	applied  atomic.Uint64 // index of the last applied log entry

	mu        sync.RWMutex
	decisions map[string]*Decision
	sequences map[string]uint64
	floors    map[string]uint64 // highest AdvanceSequence at_least per sequence
	members   map[string]Member
	gcBefore  time.Time // GC horizon: decisions created before it are refused

	notifyMu sync.Mutex
	notify   chan struct{} // closed and replaced after every apply

	onMapChange func(*router.ShardMap) // called in the FSM goroutine, must not block
}

func newFSM(onMapChange func(*router.ShardMap)) *fsm {
	f := &fsm{
		decisions:   map[string]*Decision{},
		sequences:   map[string]uint64{},
		floors:      map[string]uint64{},
		members:     map[string]Member{},
		notify:      make(chan struct{}),
		onMapChange: onMapChange,
	}
	f.shardMap.Store(emptyMap())
	return f
}

func emptyMap() *router.ShardMap {
	return &router.ShardMap{Shards: map[string]*router.Shard{}, Schemas: map[string]*router.Schema{}}
}

// Apply decodes and dispatches one log entry. Undecodable input panics:
// every node must apply the same entries the same way, so a node that cannot
// must stop rather than diverge.
func (f *fsm) Apply(l *raft.Log) any {
	if l.Type != raft.LogCommand {
		f.advance(l.Index)
		return nil
	}
	res := f.dispatch(l.Data)
	f.advance(l.Index)
	return res
}

func (f *fsm) dispatch(data []byte) applyResult {
	if len(data) == 0 {
		panic("metaraft: empty log entry")
	}
	typ, body := cmdType(data[0]), data[1:]
	switch typ {
	case cmdPutShard, cmdDeleteShard, cmdPutSchema, cmdPutTable, cmdDeleteTable, cmdSetShardMap:
		return f.applyMapCommand(typ, body)
	case cmdRecordDecision:
		return f.applyRecordDecision(decode[recordDecisionCmd](body))
	case cmdMarkResolved:
		return f.applyMarkResolved(decode[markResolvedCmd](body))
	case cmdGCDecisions:
		return f.applyGCDecisions(decode[gcDecisionsCmd](body))
	case cmdAllocateBlock:
		return f.applyAllocateBlock(decode[allocateBlockCmd](body))
	case cmdAdvanceSequence:
		return f.applyAdvanceSequence(decode[advanceSequenceCmd](body))
	case cmdPutMember:
		return f.applyPutMember(decode[putMemberCmd](body))
	case cmdDeleteMember:
		return f.applyDeleteMember(decode[deleteMemberCmd](body))
	}
	panic(fmt.Sprintf("metaraft: unknown command type %d", typ))
}

func decode[T any](body []byte) T {
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		panic(fmt.Sprintf("metaraft: undecodable %T: %v", v, err))
	}
	return v
}

// advance records the applied index and wakes waiters.
func (f *fsm) advance(index uint64) {
	f.applied.Store(index)
	f.notifyMu.Lock()
	close(f.notify)
	f.notify = make(chan struct{})
	f.notifyMu.Unlock()
}

// appliedCh returns the applied index and a channel closed on the next apply.
func (f *fsm) appliedCh() (uint64, <-chan struct{}) {
	f.notifyMu.Lock()
	defer f.notifyMu.Unlock()
	return f.applied.Load(), f.notify
}

func (f *fsm) publishMap(m *router.ShardMap) {
	f.shardMap.Store(m)
	if f.onMapChange != nil {
		f.onMapChange(m)
	}
}

// Snapshot captures the state; the map is immutable, the rest is copied.
func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	s := &snapshotState{
		Format:         snapshotFormat,
		AppliedIndex:   f.applied.Load(),
		ShardMap:       f.shardMap.Load(),
		Decisions:      make([]Decision, 0, len(f.decisions)),
		Sequences:      make(map[string]uint64, len(f.sequences)),
		SequenceFloors: maps.Clone(f.floors),
		Members:        make([]Member, 0, len(f.members)),
		GCBefore:       f.gcBefore,
	}
	for _, d := range f.decisions {
		s.Decisions = append(s.Decisions, *d)
	}
	for k, v := range f.sequences {
		s.Sequences[k] = v
	}
	for _, m := range f.members {
		s.Members = append(s.Members, m)
	}
	sortSnapshot(s)
	return s, nil
}

// Restore replaces the whole state with a snapshot's.
func (f *fsm) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	var s snapshotState
	if err := json.NewDecoder(rc).Decode(&s); err != nil {
		return fmt.Errorf("metaraft: decode snapshot: %w", err)
	}
	if s.Format != snapshotFormat {
		return fmt.Errorf("metaraft: unknown snapshot format %d", s.Format)
	}
	f.mu.Lock()
	f.decisions = make(map[string]*Decision, len(s.Decisions))
	for i := range s.Decisions {
		d := s.Decisions[i]
		f.decisions[d.Gtrid] = &d
	}
	f.sequences = s.Sequences
	if f.sequences == nil {
		f.sequences = map[string]uint64{}
	}
	f.floors = s.SequenceFloors
	if f.floors == nil {
		f.floors = map[string]uint64{}
	}
	f.members = make(map[string]Member, len(s.Members))
	for _, m := range s.Members {
		f.members[m.ID] = m
	}
	f.gcBefore = s.GCBefore
	f.mu.Unlock()
	m := s.ShardMap
	if m == nil {
		m = emptyMap()
	}
	f.publishMap(m)
	f.advance(s.AppliedIndex)
	return nil
}
