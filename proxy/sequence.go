package proxy

import (
	"context"
	"sync"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/shardline/shardline/router"
)

// Global sequences: the values of a sharded table's auto_increment column
// (router.TableRule.AutoIncrement) come from a Raft-backed counter named
// "<schema>.<table>". Each proxy node reserves blocks of values through
// Raft and hands them out from memory, so an INSERT costs no Raft round
// trip in the common case. A reserved block is never handed out again,
// even after a crash: values may skip (the rest of a block of a node that
// stopped), never repeat. Explicit values do not move the sequence: after
// loading rows with explicit ids, move it past them with the admin API
// (POST /v1/sequences/{schema}.{table} {"at_least": N}).

// BlockAllocator reserves blocks of a global sequence. metaraft.Node
// implements it. AllocateBlock returns [first, last], size values that no
// call (on any node, before or after a crash) returns again.
type BlockAllocator interface {
	AllocateBlock(ctx context.Context, name string, size uint64) (first, last uint64, err error)
}

// SequenceFloors is implemented by a BlockAllocator that knows how far each
// sequence was moved forward (metaraft.Node: POST /v1/sequences/{name}).
// A node drops the values it cached below that floor, so after an advance
// (rows loaded with explicit ids) no node hands out an id under it.
type SequenceFloors interface {
	SequenceFloor(name string) uint64
}

// SequenceSource hands out values of global sequences to sessions. It is
// shared by all sessions: safe for concurrent use.
type SequenceSource interface {
	// Next returns the first of n consecutive values of the named
	// sequence, never returned before.
	Next(ctx context.Context, name string, n uint64) (uint64, error)
	// Forget drops the values of the named sequence cached on this node:
	// later values come from blocks reserved after the call (so after an
	// AdvanceSequence that preceded it).
	Forget(name string)
}

// DefaultSequenceBlock is the number of values a node reserves at once.
const DefaultSequenceBlock = 1000

// sequenceTimeout bounds the Raft round trip of one block.
const sequenceTimeout = 10 * time.Second

// Sequences is a SequenceSource over a BlockAllocator: per sequence, the
// rest of the current block and a spare block fetched in the background
// when the current one runs low. Each sequence has its own lock; a session
// waits only for the sequence it uses.
type Sequences struct {
	alloc BlockAllocator
	block uint64

	mu   sync.Mutex // guards seqs (not the sequences themselves)
	seqs map[string]*seqState
}

// seqState is the local stock of one sequence: [next, end) is the current
// block, [spareFirst, spareEnd) the next one (empty when equal).
type seqState struct {
	mu                   sync.Mutex
	next, end            uint64
	spareFirst, spareEnd uint64
	fetching             bool
}

// NewSequences returns a block cache taking blocks of blockSize values
// (DefaultSequenceBlock when 0).
func NewSequences(a BlockAllocator, blockSize uint64) *Sequences {
	if blockSize == 0 {
		blockSize = DefaultSequenceBlock
	}
	return &Sequences{alloc: a, block: blockSize, seqs: map[string]*seqState{}}
}

func (q *Sequences) state(name string) *seqState {
	q.mu.Lock()
	defer q.mu.Unlock()
	st := q.seqs[name]
	if st == nil {
		st = &seqState{}
		q.seqs[name] = st
	}
	return st
}

// Next implements SequenceSource. The n values come from one block: when
// the current block has fewer than n left, its rest is dropped (values
// skip) and a block of at least n values is used.
func (q *Sequences) Next(ctx context.Context, name string, n uint64) (uint64, error) {
	if n == 0 {
		return 0, newError(mysql.ER_UNKNOWN_ERROR, "sequence %s: zero values asked", name)
	}
	st := q.state(name)
	st.mu.Lock()
	defer st.mu.Unlock()
	if f, ok := q.alloc.(SequenceFloors); ok {
		st.raise(f.SequenceFloor(name))
	}
	if st.end-st.next < n {
		if st.spareEnd-st.spareFirst >= n {
			st.next, st.end = st.spareFirst, st.spareEnd
			st.spareFirst, st.spareEnd = 0, 0
		} else {
			first, last, err := q.alloc.AllocateBlock(ctx, name, max(q.block, n))
			if err != nil {
				return 0, err
			}
			st.next, st.end = first, last+1
		}
	}
	first := st.next
	st.next += n
	if st.end-st.next < q.block/4 && st.spareEnd == st.spareFirst && !st.fetching {
		st.fetching = true
		go q.prefetch(name, st)
	}
	return first, nil
}

// raise drops the cached values below floor.
func (st *seqState) raise(floor uint64) {
	st.next = min(max(st.next, floor), st.end)
	st.spareFirst = min(max(st.spareFirst, floor), st.spareEnd)
}

// Forget implements SequenceSource. A prefetch in flight may still land
// its block as the spare; that block was reserved after the call too.
func (q *Sequences) Forget(name string) {
	st := q.state(name)
	st.mu.Lock()
	defer st.mu.Unlock()
	st.next, st.end, st.spareFirst, st.spareEnd = 0, 0, 0, 0
}

// prefetch reserves the spare block of a sequence. A failure is not an
// error: the next INSERT that needs the block reserves it itself.
func (q *Sequences) prefetch(name string, st *seqState) {
	ctx, cancel := context.WithTimeout(context.Background(), sequenceTimeout)
	defer cancel()
	first, last, err := q.alloc.AllocateBlock(ctx, name, q.block)
	st.mu.Lock()
	defer st.mu.Unlock()
	st.fetching = false
	if err == nil {
		st.spareFirst, st.spareEnd = first, last+1
	}
}

// planSession is the router session of the next statement, with the
// session's LAST_INSERT_ID() and its sql_mode flag NO_AUTO_VALUE_ON_ZERO.
func (s *Session) planSession() router.Session {
	rs := s.routerSession()
	rs.LastInsertID = s.lastInsert
	rs.NoAutoValueOnZero = s.mode.has("NO_AUTO_VALUE_ON_ZERO")
	rs.Now = s.srv.now()
	return rs
}

// writeLastInsertID answers SELECT LAST_INSERT_ID() (and @@identity,
// @@last_insert_id) from the session, as a BIGINT UNSIGNED like MySQL.
// lastInsertIDFields are the column definitions of SELECT LAST_INSERT_ID()
// as MariaDB sends them (BIGINT UNSIGNED NOT NULL).
func lastInsertIDFields(cols []string) []*mysql.Field {
	fields := make([]*mysql.Field, len(cols))
	for i, c := range cols {
		fields[i] = &mysql.Field{Name: []byte(c), Type: mysql.MYSQL_TYPE_LONGLONG, Charset: 63, ColumnLength: 21,
			Flag: mysql.NOT_NULL_FLAG | mysql.UNSIGNED_FLAG | mysql.BINARY_FLAG | mysql.NUM_FLAG}
	}
	return fields
}

func (s *Session) writeLastInsertID(columns []string, binaryRows bool) error {
	fields := lastInsertIDFields(columns)
	row := make([]mysql.FieldValue, len(fields))
	for i := range row {
		row[i] = mysql.NewFieldValue(mysql.FieldValueTypeUnsigned, s.lastInsert, nil)
	}
	return s.writeResultSet(fields, &sliceStream{fields: fields, rows: [][]mysql.FieldValue{row}}, binaryRows)
}
