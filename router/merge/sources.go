package merge

import (
	"errors"
	"io"

	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/shardline/shardline/router"
)

// concat passes the inputs' rows through, one input after another.
type concat struct {
	in  *inputSet
	cur int
}

func (c *concat) next() ([]mysql.FieldValue, error) {
	for c.cur < len(c.in.streams) {
		row, err := c.in.next(c.cur)
		if errors.Is(err, io.EOF) {
			c.cur++
			continue
		}
		return row, err
	}
	return nil, io.EOF
}

// sortKey is one ORDER BY column with its comparison.
type sortKey struct {
	col  int
	desc bool
	cmp  *column
}

// rowCmp orders rows by ORDER BY keys.
type rowCmp []sortKey

func newRowCmp(order []router.OrderColumn, cols []column) rowCmp {
	r := make(rowCmp, len(order))
	for i, o := range order {
		r[i] = sortKey{col: o.Column, desc: o.Desc, cmp: &cols[o.Column]}
	}
	return r
}

// compare orders rows a and b (NULLs first ascending, last descending).
func (r rowCmp) compare(a, b []mysql.FieldValue) int {
	for _, k := range r {
		if c := k.cmp.compare(&a[k.col], &b[k.col]); c != 0 {
			if k.desc {
				return -c
			}
			return c
		}
	}
	return 0
}

// kmerge merges inputs that are each sorted by cmp, holding one row per
// input. It reads an input again only when the caller asks for the row after
// the one it returned from that input, so every row it returns stays valid
// until the next call, as RowStream requires.
type kmerge struct {
	in      *inputSet
	cmp     rowCmp
	cur     [][]mysql.FieldValue // current row of each input
	heap    []int                // input indexes, min-heap by cur rows
	pending int                  // input whose row was returned last, or -1
	primed  bool
}

func newKMerge(in *inputSet, cmp rowCmp) *kmerge {
	return &kmerge{in: in, cmp: cmp, cur: make([][]mysql.FieldValue, len(in.streams)), pending: -1}
}

func (m *kmerge) next() ([]mysql.FieldValue, error) {
	if !m.primed {
		if err := m.prime(); err != nil {
			return nil, err
		}
	}
	if m.pending >= 0 {
		i := m.pending
		m.pending = -1
		row, err := m.in.next(i)
		switch {
		case errors.Is(err, io.EOF):
			m.pop()
		case err != nil:
			return nil, err
		default:
			m.cur[i] = row
			m.down(0)
		}
	}
	if len(m.heap) == 0 {
		return nil, io.EOF
	}
	m.pending = m.heap[0]
	return m.cur[m.pending], nil
}

// prime reads the first row of every input.
func (m *kmerge) prime() error {
	for i := range m.in.streams {
		row, err := m.in.next(i)
		if errors.Is(err, io.EOF) {
			continue
		}
		if err != nil {
			return err
		}
		m.cur[i] = row
		m.heap = append(m.heap, i)
		m.up(len(m.heap) - 1)
	}
	m.primed = true
	return nil
}

// less orders heap entries by row, then by input index, so equal rows come
// out in input order (a stable merge).
func (m *kmerge) less(a, b int) bool {
	x, y := m.heap[a], m.heap[b]
	if c := m.cmp.compare(m.cur[x], m.cur[y]); c != 0 {
		return c < 0
	}
	return x < y
}

func (m *kmerge) pop() {
	last := len(m.heap) - 1
	m.heap[0] = m.heap[last]
	m.heap = m.heap[:last]
	if last > 0 {
		m.down(0)
	}
}

func (m *kmerge) up(j int) {
	for j > 0 {
		p := (j - 1) / 2
		if !m.less(j, p) {
			return
		}
		m.heap[p], m.heap[j] = m.heap[j], m.heap[p]
		j = p
	}
}

func (m *kmerge) down(i int) {
	n := len(m.heap)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		j := l
		if r := l + 1; r < n && m.less(r, l) {
			j = r
		}
		if !m.less(j, i) {
			return
		}
		m.heap[i], m.heap[j] = m.heap[j], m.heap[i]
		i = j
	}
}
