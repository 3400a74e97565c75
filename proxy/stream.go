package proxy

import (
	"io"

	"github.com/go-mysql-org/go-mysql/mysql"
)

// backendStream reads a text-protocol result from a backend connection row
// by row (router.RowStream). The query is sent first, for every target, and
// the headers read afterwards, so the shards work in parallel.
type backendStream struct {
	bc       *backendConn
	release  func()
	fields   []*mysql.Field
	isOK     bool // the statement returned OK, not rows
	affected uint64
	insertID uint64
	warnings uint16
	row      []mysql.FieldValue
	buf      []byte
	sent     bool // the query was sent
	headed   bool // the response header was read
	done     bool
}

func (b *backendStream) send(sql string) error {
	if err := b.bc.writeCommand(mysql.COM_QUERY, []byte(sql)); err != nil {
		return err
	}
	b.sent = true
	return nil
}

// readHeader reads the response up to the first row.
func (b *backendStream) readHeader() error {
	b.headed = true
	p, err := b.bc.readPacket(b.buf)
	if err != nil {
		return err
	}
	b.buf = p
	payload := p[4:]
	switch payload[0] {
	case mysql.ERR_HEADER:
		b.done = true
		return parseErr(payload)
	case mysql.OK_HEADER:
		b.done, b.isOK = true, true
		b.affected, b.insertID, b.warnings = parseOK(payload)
		return nil
	case mysql.LocalInFile_HEADER:
		b.done = true
		b.bc.markBroken()
		return newError(mysql.ER_NOT_SUPPORTED_YET, "LOAD DATA LOCAL INFILE is not supported by Shardline")
	}
	n, _, _ := mysql.LengthEncodedInt(payload)
	b.fields = make([]*mysql.Field, 0, n)
	for i := uint64(0); i < n; i++ {
		p, err := b.bc.readPacket(nil)
		if err != nil {
			return err
		}
		f := &mysql.Field{}
		if err := f.Parse(p[4:]); err != nil {
			b.bc.markBroken()
			return lost(b.bc.shard(), err)
		}
		b.fields = append(b.fields, f)
	}
	if p, err = b.bc.readPacket(b.buf); err != nil { // EOF after the definitions
		return err
	}
	b.buf = p
	return nil
}

func (b *backendStream) Fields() []*mysql.Field { return b.fields }

// result is the OK of a statement that returned no rows (okStream).
func (b *backendStream) result() writeResult {
	return writeResult{affected: b.affected, insertID: b.insertID, warnings: b.warnings}
}

func (b *backendStream) Next() ([]mysql.FieldValue, error) {
	if b.done {
		return nil, io.EOF
	}
	p, err := b.bc.readPacket(b.buf)
	if err != nil {
		b.done = true
		return nil, err
	}
	b.buf = p
	payload := p[4:]
	if payload[0] == mysql.ERR_HEADER {
		b.done = true
		return nil, parseErr(payload)
	}
	if isEOF(payload) {
		b.done = true
		return nil, io.EOF
	}
	b.row, err = mysql.RowData(payload).ParseText(b.fields, b.row)
	if err != nil {
		b.done = true
		b.bc.markBroken()
		return nil, lost(b.bc.shard(), err)
	}
	return b.row, nil
}

// Close drains what is left of the response (all of it when the header was
// never read) and gives the connection back; a connection that cannot be
// drained is not reused.
func (b *backendStream) Close() {
	if b.sent && !b.headed {
		if err := b.readHeader(); err != nil && !b.done {
			b.bc.markBroken()
			b.done = true
		}
	}
	for !b.done {
		if _, err := b.Next(); err != nil {
			break
		}
	}
	if b.release != nil {
		b.release()
		b.release = nil
	}
}

// sliceStream is a materialised result (router.RowStream).
type sliceStream struct {
	fields []*mysql.Field
	rows   [][]mysql.FieldValue
	i      int
}

func (s *sliceStream) Fields() []*mysql.Field { return s.fields }

func (s *sliceStream) Next() ([]mysql.FieldValue, error) {
	if s.i >= len(s.rows) {
		return nil, io.EOF
	}
	s.i++
	return s.rows[s.i-1], nil
}

func (s *sliceStream) Close() {}

// materialize reads a stream to the end into memory (bounded by maxRows).
func materialize(b *backendStream, maxRows int) (*sliceStream, error) {
	defer b.Close()
	out := &sliceStream{fields: b.Fields()}
	for {
		row, err := b.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if len(out.rows) >= maxRows {
			return nil, newError(mysql.ER_OUT_OF_RESOURCES,
				"result of shard %s exceeds %d rows buffered for a transaction's multi-partition read", b.bc.shard(), maxRows)
		}
		out.rows = append(out.rows, copyRow(row))
	}
}

func copyRow(row []mysql.FieldValue) []mysql.FieldValue {
	c := make([]mysql.FieldValue, len(row))
	for i := range row {
		v := &row[i]
		if v.Type == mysql.FieldValueTypeString {
			c[i] = mysql.NewFieldValue(v.Type, 0, append([]byte(nil), v.AsString()...))
		} else {
			c[i] = mysql.NewFieldValue(v.Type, v.AsUint64(), nil)
		}
	}
	return c
}
