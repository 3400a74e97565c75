package merge

import (
	"errors"
	"io"
	"math"
	"slices"

	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/shardline/shardline/router"
)

// condition is a compiled router.Condition.
type condition struct {
	col int
	op  string
	val mysql.FieldValue // FieldValueTypeNull for a nil constant
}

func newConditions(in []router.Condition) ([]condition, error) {
	out := make([]condition, 0, len(in))
	for _, c := range in {
		switch c.Op {
		case "=", "<>", "!=", "<", "<=", ">", ">=":
		default:
			return nil, errBadSpec("unknown HAVING operator %q", c.Op)
		}
		v, err := constValue(c.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, condition{col: c.Column, op: c.Op, val: v})
	}
	return out, nil
}

// constValue converts a Condition constant to a FieldValue.
func constValue(v any) (mysql.FieldValue, error) {
	switch x := v.(type) {
	case nil:
		return mysql.FieldValue{}, nil
	case int:
		return mysql.NewFieldValue(mysql.FieldValueTypeSigned, uint64(x), nil), nil
	case int64:
		return mysql.NewFieldValue(mysql.FieldValueTypeSigned, uint64(x), nil), nil
	case uint64:
		return mysql.NewFieldValue(mysql.FieldValueTypeUnsigned, x, nil), nil
	case float64:
		return mysql.NewFieldValue(mysql.FieldValueTypeFloat, math.Float64bits(x), nil), nil
	case string:
		return mysql.NewFieldValue(mysql.FieldValueTypeString, 0, []byte(x)), nil
	case []byte:
		return mysql.NewFieldValue(mysql.FieldValueTypeString, 0, x), nil
	}
	return mysql.FieldValue{}, errBadSpec("unsupported HAVING constant of type %T", v)
}

// holds evaluates the condition on a row; a comparison with NULL is false.
func (c *condition) holds(row []mysql.FieldValue, col *column) bool {
	v := &row[c.col]
	if v.Type == mysql.FieldValueTypeNull || c.val.Type == mysql.FieldValueTypeNull {
		return false
	}
	r := col.compare(v, &c.val)
	switch c.op {
	case "=":
		return r == 0
	case "<>", "!=":
		return r != 0
	case "<":
		return r < 0
	case "<=":
		return r <= 0
	case ">":
		return r > 0
	}
	return r >= 0 // ">="
}

// havingFilter keeps the rows that satisfy every condition.
type havingFilter struct {
	src   source
	conds []condition
	cols  []column
}

func (h *havingFilter) next() ([]mysql.FieldValue, error) {
	for {
		row, err := h.src.next()
		if err != nil || h.keep(row) {
			return row, err
		}
	}
}

func (h *havingFilter) keep(row []mysql.FieldValue) bool {
	for i := range h.conds {
		c := &h.conds[i]
		if !c.holds(row, &h.cols[c.col]) {
			return false
		}
	}
	return true
}

// distinct drops rows whose visible columns equal (by collation) those of
// an earlier row; it remembers one key per distinct row, up to max.
type distinct struct {
	src  source
	cols []column
	seen map[string]struct{}
	max  int
	key  []byte
}

func newDistinct(src source, cols []column, max int) *distinct {
	return &distinct{src: src, cols: cols, seen: make(map[string]struct{}), max: max}
}

func (d *distinct) next() ([]mysql.FieldValue, error) {
	for {
		row, err := d.src.next()
		if err != nil {
			return nil, err
		}
		d.key = d.key[:0]
		for i := range d.cols {
			d.key = d.cols[i].appendKey(d.key, &row[i])
		}
		if _, dup := d.seen[string(d.key)]; dup {
			continue
		}
		if len(d.seen) >= d.max {
			return nil, errTooManyRows(d.max, "distinct rows")
		}
		d.seen[string(d.key)] = struct{}{}
		return row, nil
	}
}

// adjacentDistinct drops rows equal to the row before, which is all
// DISTINCT needs when the rows are sorted by every visible column. It holds
// only the key of the last row, however many rows there are.
type adjacentDistinct struct {
	src       source
	cols      []column
	last, key []byte
	started   bool
}

func (d *adjacentDistinct) next() ([]mysql.FieldValue, error) {
	for {
		row, err := d.src.next()
		if err != nil {
			return nil, err
		}
		d.key = d.key[:0]
		for i := range d.cols {
			d.key = d.cols[i].appendKey(d.key, &row[i])
		}
		if d.started && string(d.key) == string(d.last) {
			continue
		}
		d.started = true
		d.last, d.key = d.key, d.last
		return row, nil
	}
}

// sortSource sorts rows of a source whose rows stay valid (grouped rows),
// stably, by cmp.
type sortSource struct {
	src    source
	cmp    rowCmp
	rows   [][]mysql.FieldValue
	sorted bool
}

func (s *sortSource) next() ([]mysql.FieldValue, error) {
	if !s.sorted {
		if err := s.load(); err != nil {
			return nil, err
		}
	}
	if len(s.rows) == 0 {
		return nil, io.EOF
	}
	row := s.rows[0]
	s.rows[0] = nil
	s.rows = s.rows[1:]
	return row, nil
}

func (s *sortSource) load() error {
	for {
		row, err := s.src.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		s.rows = append(s.rows, row)
	}
	slices.SortStableFunc(s.rows, s.cmp.compare)
	s.sorted = true
	return nil
}
