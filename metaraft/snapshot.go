package metaraft

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/raft"

	"github.com/shardline/shardline/router"
)

// snapshotFormat versions the snapshot encoding.
const snapshotFormat = 1

// snapshotState is the whole FSM state as written to a snapshot (JSON).
type snapshotState struct {
	Format       int               `json:"format"`
	AppliedIndex uint64            `json:"applied_index"`
	ShardMap     *router.ShardMap  `json:"shard_map"`
	Decisions    []Decision        `json:"decisions"`
	Sequences    map[string]uint64 `json:"sequences"`
	// SequenceFloors are the highest at_least each sequence was advanced to.
	SequenceFloors map[string]uint64 `json:"sequence_floors,omitempty"`
	Members        []Member          `json:"members"`
	GCBefore       time.Time         `json:"gc_before"`
}

// Persist writes the snapshot; it runs concurrently with Apply and touches
// only the copies made by Snapshot.
func (s *snapshotState) Persist(sink raft.SnapshotSink) error {
	if err := json.NewEncoder(sink).Encode(s); err != nil {
		_ = sink.Cancel()
		return err
	}
	return sink.Close()
}

// Release is a no-op: the snapshot holds only copies.
func (s *snapshotState) Release() {}

// sortSnapshot orders the slices so that equal states encode equally.
func sortSnapshot(s *snapshotState) {
	slices.SortFunc(s.Decisions, func(a, b Decision) int { return strings.Compare(a.Gtrid, b.Gtrid) })
	slices.SortFunc(s.Members, func(a, b Member) int { return strings.Compare(a.ID, b.ID) })
}
