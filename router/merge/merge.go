// Package merge combines the results of a SELECT scattered over several
// shards into the one result the client expects, as a router.MergeSpec says.
//
// New picks the cheapest shape that is correct:
//   - no ORDER BY, no aggregation, no DISTINCT: inputs are passed through one
//     after another, holding nothing;
//   - ORDER BY without aggregation: a streaming k-way merge over the inputs'
//     current rows (every input is already sorted the same way);
//   - GROUP BY whose ORDER BY names exactly the group columns: the k-way
//     merge makes each group's rows adjacent, so groups are folded one at a
//     time, in constant memory, and LIMIT stops reading early;
//   - other GROUP BY or aggregates: a hash table of groups, then HAVING,
//     DISTINCT and ORDER BY (without ORDER BY, by the GROUP BY columns, as
//     MariaDB sorts GROUP BY results) in memory;
//   - DISTINCT: folds adjacent rows when ORDER BY names exactly the visible
//     columns, else remembers a key per distinct row.
//
// Everything held in memory (groups, distinct keys) is bounded by
// Options.MaxRows; beyond it the stream fails with ErrCodeTooManyRows.
//
// Values compare as MySQL compares them by column type: integers of either
// signedness exactly, DECIMAL text exactly, dates and times by value, and
// strings by collation. NULL sorts first ascending, last descending.
//
// Collations: utf8mb4/utf8mb3 general_ci and unicode_ci (and their nopad
// variants) and latin1_swedish_ci use MariaDB 10.11's own weight tables
// and match its order and equality exactly for the BMP; _bin and binary
// compare bytes; unicode_520_ci and utf8mb4_0900_ai_ci (MySQL 8) are
// approximated with the CLDR root collation (see collation.go). A column's collation is taken from
// Options.Collations, else from BINARY_FLAG (byte order), else from
// Field.Charset, which servers fill with the collation of
// character_set_results, not the column's own.
//
// Known limits: ENUM and SET columns compare as strings, while the servers
// sort them by index; float SUM/AVG add partial sums, so the last digits may
// differ from a single server's row-by-row sum.
//
// A stream is used by one goroutine; nothing in this package is shared
// between streams except read-only tables.
package merge

import (
	"errors"
	"fmt"
	"io"

	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/shardline/shardline/router"
)

// DefaultMaxRows is the bound used when Options.MaxRows is 0.
const DefaultMaxRows = 1_000_000

// ErrCodeTooManyRows is the MySQL error code (ER_OUT_OF_RESOURCES, SQLSTATE
// HY000) of the error a stream returns when a merge would hold more than
// Options.MaxRows groups or distinct rows.
const ErrCodeTooManyRows = mysql.ER_OUT_OF_RESOURCES

// Options tunes a merge.
type Options struct {
	// MaxRows bounds the groups (GROUP BY, aggregates) and distinct rows
	// (DISTINCT) a merge holds in memory; 0 means DefaultMaxRows.
	MaxRows int
	// Collations gives the collation id of string columns by column index,
	// overriding Field.Charset. The servers put the collation of
	// character_set_results in Field.Charset, not the column's own (only
	// with character_set_results = NULL is it the column's), so a
	// utf8mb4_unicode_ci column read over a utf8mb4_general_ci connection
	// would otherwise compare as general_ci. _bin columns are recognised by
	// BINARY_FLAG without help.
	Collations map[int]uint16
	// Enums gives the definition of ENUM columns by column index (values in
	// definition order). MySQL sorts an ENUM by the position of its value,
	// not by its text, and so do the targets' pushed-down ORDER BY: the
	// merge orders such a column the same way.
	Enums map[int][]string
}

// New combines inputs (all with the same columns) as spec says and returns
// one stream. A nil spec passes rows through. New does no I/O; rows are read
// as the result is read. The returned stream owns the inputs: its Close
// closes every input, and New closes them itself when it returns an error.
// Errors are *mysql.MyError, except errors of the inputs, which pass
// through unchanged.
func New(spec *router.MergeSpec, inputs []router.RowStream, opts Options) (router.RowStream, error) {
	in := &inputSet{streams: inputs, closed: make([]bool, len(inputs))}
	s, err := newStream(spec, in, opts)
	if err != nil {
		in.closeAll()
		return nil, err
	}
	return s, nil
}

// Drain calls fn with every row of s in order, stops at the first error
// (which it returns; io.EOF is not an error) and always closes s. A row
// passed to fn is valid only until fn returns.
func Drain(s router.RowStream, fn func([]mysql.FieldValue) error) error {
	defer s.Close()
	for {
		row, err := s.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(row); err != nil {
			return err
		}
	}
}

// source yields full-width rows (hidden columns included); a row is valid
// until the next call.
type source interface {
	next() ([]mysql.FieldValue, error)
}

// stream applies OFFSET/LIMIT and strips hidden columns.
type stream struct {
	fields  []*mysql.Field
	src     source
	in      *inputSet
	offset  int64
	limit   int64 // < 0: none
	visible int
	sent    int64
	err     error
}

func newStream(spec *router.MergeSpec, in *inputSet, opts Options) (*stream, error) {
	if spec == nil {
		spec = &router.MergeSpec{Limit: -1}
	}
	p, err := newPlan(spec, in.streams, opts)
	if err != nil {
		return nil, err
	}
	return &stream{
		fields:  p.outFields,
		src:     p.source(in),
		in:      in,
		offset:  max(spec.Offset, 0),
		limit:   spec.Limit,
		visible: len(p.outFields),
	}, nil
}

// Fields returns the client-visible columns.
func (s *stream) Fields() []*mysql.Field { return s.fields }

// Next returns the next row, or io.EOF. Once LIMIT rows are out it closes the
// inputs without reading them further.
func (s *stream) Next() ([]mysql.FieldValue, error) {
	if s.err != nil {
		return nil, s.err
	}
	if s.limit >= 0 && s.sent >= s.limit {
		s.in.closeAll()
		s.err = io.EOF
		return nil, io.EOF
	}
	for {
		row, err := s.src.next()
		if err != nil {
			s.err = err
			return nil, err
		}
		if s.offset > 0 {
			s.offset--
			continue
		}
		s.sent++
		return row[:s.visible], nil
	}
}

// Close closes every input not closed yet. It may be called more than once.
func (s *stream) Close() { s.in.closeAll() }

// inputSet tracks which inputs are closed, so each is closed exactly once.
type inputSet struct {
	streams []router.RowStream
	closed  []bool
}

// next reads input i, closing it at its end.
func (in *inputSet) next(i int) ([]mysql.FieldValue, error) {
	if in.closed[i] {
		return nil, io.EOF
	}
	row, err := in.streams[i].Next()
	if errors.Is(err, io.EOF) {
		in.close(i)
		return nil, io.EOF
	}
	return row, err
}

func (in *inputSet) close(i int) {
	if !in.closed[i] {
		in.closed[i] = true
		in.streams[i].Close()
	}
}

func (in *inputSet) closeAll() {
	for i := range in.streams {
		in.close(i)
	}
}

// errTooManyRows is the error of a merge over its memory bound.
func errTooManyRows(limit int, what string) error {
	return mysql.NewError(ErrCodeTooManyRows, fmt.Sprintf(
		"Shardline merge needs more than %d %s in memory; narrow the query or raise the merge row limit",
		limit, what))
}

// errBadSpec reports a MergeSpec that does not fit the inputs (a planner bug).
func errBadSpec(format string, args ...any) error {
	return mysql.NewError(mysql.ER_UNKNOWN_ERROR, "Shardline merge: "+fmt.Sprintf(format, args...))
}
