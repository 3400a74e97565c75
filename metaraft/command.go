package metaraft

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/shardline/shardline/router"
)

// A Raft log entry is one command: a type byte followed by the command's JSON
// body. The byte values are part of the on-disk format: never renumber.
type cmdType byte

const (
	cmdPutShard cmdType = iota + 1
	cmdDeleteShard
	cmdPutSchema
	cmdPutTable
	cmdDeleteTable
	cmdSetShardMap
	cmdRecordDecision
	cmdMarkResolved
	cmdGCDecisions
	cmdAllocateBlock
	cmdAdvanceSequence
	cmdPutMember
	cmdDeleteMember
)

// AnyVersion as an ifVersion argument skips the If-Match check.
const AnyVersion = ^uint64(0)

// mapPrecondition is embedded in every shard-map command.
type mapPrecondition struct {
	// IfVersion is the expected map version; nil means any.
	IfVersion *uint64 `json:"if_version,omitempty"`
}

func precondition(ifVersion uint64) mapPrecondition {
	if ifVersion == AnyVersion {
		return mapPrecondition{}
	}
	v := ifVersion
	return mapPrecondition{IfVersion: &v}
}

type putShardCmd struct {
	mapPrecondition
	Name  string        `json:"name"`
	Shard *router.Shard `json:"shard"`
}

type deleteShardCmd struct {
	mapPrecondition
	Name string `json:"name"`
}

type putSchemaCmd struct {
	mapPrecondition
	Name         string `json:"name"`
	DefaultShard string `json:"default_shard"`
}

type putTableCmd struct {
	mapPrecondition
	Schema string            `json:"schema"`
	Table  string            `json:"table"`
	Rule   *router.TableRule `json:"rule"`
}

type deleteTableCmd struct {
	mapPrecondition
	Schema string `json:"schema"`
	Table  string `json:"table"`
}

type setShardMapCmd struct {
	mapPrecondition
	Map *router.ShardMap `json:"map"`
}

type recordDecisionCmd struct {
	Gtrid   string    `json:"gtrid"`
	Outcome Outcome   `json:"outcome"`
	Created time.Time `json:"created"`
}

type markResolvedCmd struct {
	Gtrid string    `json:"gtrid"`
	At    time.Time `json:"at"`
}

type gcDecisionsCmd struct {
	// Before: resolved decisions resolved before this instant are deleted,
	// and later decisions created before it are refused.
	Before time.Time `json:"before"`
}

type allocateBlockCmd struct {
	Name string `json:"name"`
	Size uint64 `json:"size"`
}

type advanceSequenceCmd struct {
	Name    string `json:"name"`
	AtLeast uint64 `json:"at_least"`
}

type putMemberCmd struct {
	Member Member `json:"member"`
}

type deleteMemberCmd struct {
	ID string `json:"id"`
}

// command is a typed command ready to be encoded.
type command struct {
	typ  cmdType
	body any
}

func (c command) encode() ([]byte, error) {
	b, err := json.Marshal(c.body)
	if err != nil {
		return nil, fmt.Errorf("metaraft: encode command %d: %w", c.typ, err)
	}
	return append([]byte{byte(c.typ)}, b...), nil
}

// isMapCommand reports whether t changes the shard map.
func (t cmdType) isMapCommand() bool {
	return t >= cmdPutShard && t <= cmdSetShardMap
}

// applyResult is what the FSM returns for every command (through
// ApplyFuture.Response) and what the leader sends back to a forwarder.
type applyResult struct {
	Version uint64  `json:"version,omitempty"`
	Outcome Outcome `json:"outcome,omitempty"`
	First   uint64  `json:"first,omitempty"`
	Last    uint64  `json:"last,omitempty"`
	Err     error   `json:"-"`
}

// checkCommand rejects a forwarded command that the FSM could not decode
// (which would panic every node): unknown type or malformed body.
func checkCommand(data []byte) error {
	if len(data) == 0 {
		return fmt.Errorf("%w: empty command", ErrInvalid)
	}
	newBody, ok := commandBodies[cmdType(data[0])]
	if !ok {
		return fmt.Errorf("%w: unknown command type %d", ErrInvalid, data[0])
	}
	if err := json.Unmarshal(data[1:], newBody()); err != nil {
		return fmt.Errorf("%w: command body: %v", ErrInvalid, err)
	}
	return nil
}

var commandBodies = map[cmdType]func() any{
	cmdPutShard:        func() any { return new(putShardCmd) },
	cmdDeleteShard:     func() any { return new(deleteShardCmd) },
	cmdPutSchema:       func() any { return new(putSchemaCmd) },
	cmdPutTable:        func() any { return new(putTableCmd) },
	cmdDeleteTable:     func() any { return new(deleteTableCmd) },
	cmdSetShardMap:     func() any { return new(setShardMapCmd) },
	cmdRecordDecision:  func() any { return new(recordDecisionCmd) },
	cmdMarkResolved:    func() any { return new(markResolvedCmd) },
	cmdGCDecisions:     func() any { return new(gcDecisionsCmd) },
	cmdAllocateBlock:   func() any { return new(allocateBlockCmd) },
	cmdAdvanceSequence: func() any { return new(advanceSequenceCmd) },
	cmdPutMember:       func() any { return new(putMemberCmd) },
	cmdDeleteMember:    func() any { return new(deleteMemberCmd) },
}
