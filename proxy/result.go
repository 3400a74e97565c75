package proxy

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/shardline/shardline/router"
)

// writeResultSet writes a result the proxy assembled (merged or converted)
// in the text or the binary protocol, row by row as rows arrive.
func (s *Session) writeResultSet(fields []*mysql.Field, rows router.RowStream, binaryRows bool) error {
	b := mysql.AppendLengthEncodedInteger(s.packet(), uint64(len(fields)))
	if err := s.writeClient(b); err != nil {
		return err
	}
	for _, f := range fields {
		if err := s.writeClient(append(s.packet(), f.Dump()...)); err != nil {
			return err
		}
	}
	if err := s.writeClient(appendEOF(s.packet(), s.status(), 0)); err != nil {
		return err
	}
	for {
		row, err := rows.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err // sent as an ERR packet in place of the next row
		}
		b = s.packet()
		if binaryRows {
			b, err = appendBinaryRow(b, fields, row)
		} else {
			b = appendTextRow(b, fields, row)
		}
		if err != nil {
			return err
		}
		s.buf = b[:0]
		if err := s.writeClient(b); err != nil {
			return err
		}
	}
	return s.writeClient(appendEOF(s.packet(), s.status(), 0))
}

func appendTextRow(b []byte, fields []*mysql.Field, row []mysql.FieldValue) []byte {
	for i := range row {
		v := &row[i]
		switch v.Type {
		case mysql.FieldValueTypeNull:
			b = append(b, 0xfb)
		case mysql.FieldValueTypeSigned:
			b = appendLenencString(b, strconv.AppendInt(nil, v.AsInt64(), 10))
		case mysql.FieldValueTypeUnsigned:
			b = appendLenencString(b, strconv.AppendUint(nil, v.AsUint64(), 10))
		case mysql.FieldValueTypeFloat:
			bits := 64
			if i < len(fields) && fields[i].Type == mysql.MYSQL_TYPE_FLOAT {
				bits = 32
			}
			b = appendLenencString(b, strconv.AppendFloat(nil, v.AsFloat64(), 'g', -1, bits))
		default:
			b = appendLenencString(b, v.AsString())
		}
	}
	return b
}

func appendLenencString(b, s []byte) []byte {
	b = mysql.AppendLengthEncodedInteger(b, uint64(len(s)))
	return append(b, s...)
}

// appendBinaryRow encodes a row in the binary protocol by the columns' types.
func appendBinaryRow(b []byte, fields []*mysql.Field, row []mysql.FieldValue) ([]byte, error) {
	b = append(b, 0)
	nullAt := len(b)
	for i := 0; i < (len(fields)+7+2)/8; i++ {
		b = append(b, 0)
	}
	for i := range row {
		v := &row[i]
		if v.Type == mysql.FieldValueTypeNull {
			pos := i + 2
			b[nullAt+pos/8] |= 1 << (pos % 8)
			continue
		}
		var err error
		if b, err = appendBinaryValue(b, fields[i], v); err != nil {
			return nil, fmt.Errorf("column %s: %w", fields[i].Name, err)
		}
	}
	return b, nil
}

func appendBinaryValue(b []byte, f *mysql.Field, v *mysql.FieldValue) ([]byte, error) {
	switch f.Type {
	case mysql.MYSQL_TYPE_TINY:
		n, err := intOf(v)
		return append(b, byte(n)), err
	case mysql.MYSQL_TYPE_SHORT, mysql.MYSQL_TYPE_YEAR:
		n, err := intOf(v)
		return binary.LittleEndian.AppendUint16(b, uint16(n)), err
	case mysql.MYSQL_TYPE_LONG, mysql.MYSQL_TYPE_INT24:
		n, err := intOf(v)
		return binary.LittleEndian.AppendUint32(b, uint32(n)), err
	case mysql.MYSQL_TYPE_LONGLONG:
		n, err := intOf(v)
		return binary.LittleEndian.AppendUint64(b, n), err
	case mysql.MYSQL_TYPE_FLOAT:
		x, err := floatOf(v)
		return binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(x))), err
	case mysql.MYSQL_TYPE_DOUBLE:
		x, err := floatOf(v)
		return binary.LittleEndian.AppendUint64(b, math.Float64bits(x)), err
	case mysql.MYSQL_TYPE_DATE, mysql.MYSQL_TYPE_DATETIME, mysql.MYSQL_TYPE_TIMESTAMP:
		return appendBinaryDateTime(b, string(textOf(v)))
	case mysql.MYSQL_TYPE_TIME:
		return appendBinaryTime(b, string(textOf(v)))
	}
	return appendLenencString(b, textOf(v)), nil
}

// intOf returns the two's-complement bits of an integer value.
func intOf(v *mysql.FieldValue) (uint64, error) {
	switch v.Type {
	case mysql.FieldValueTypeSigned, mysql.FieldValueTypeUnsigned:
		return v.AsUint64(), nil
	case mysql.FieldValueTypeFloat:
		return uint64(int64(v.AsFloat64())), nil
	}
	s := string(v.AsString())
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return uint64(n), nil
	}
	return strconv.ParseUint(s, 10, 64)
}

func floatOf(v *mysql.FieldValue) (float64, error) {
	switch v.Type {
	case mysql.FieldValueTypeSigned:
		return float64(v.AsInt64()), nil
	case mysql.FieldValueTypeUnsigned:
		return float64(v.AsUint64()), nil
	case mysql.FieldValueTypeFloat:
		return v.AsFloat64(), nil
	}
	return strconv.ParseFloat(string(v.AsString()), 64)
}

func textOf(v *mysql.FieldValue) []byte {
	switch v.Type {
	case mysql.FieldValueTypeSigned:
		return strconv.AppendInt(nil, v.AsInt64(), 10)
	case mysql.FieldValueTypeUnsigned:
		return strconv.AppendUint(nil, v.AsUint64(), 10)
	case mysql.FieldValueTypeFloat:
		return strconv.AppendFloat(nil, v.AsFloat64(), 'g', -1, 64)
	}
	return v.AsString()
}

// appendBinaryDateTime encodes 'YYYY-MM-DD[ hh:mm:ss[.ffffff]]'.
func appendBinaryDateTime(b []byte, s string) ([]byte, error) {
	var y, mo, d, h, mi, sec, us int
	date, clock, _ := strings.Cut(s, " ")
	if _, err := fmt.Sscanf(date, "%d-%d-%d", &y, &mo, &d); err != nil {
		return nil, fmt.Errorf("bad date %q", s)
	}
	if clock != "" {
		var err error
		if h, mi, sec, us, err = parseClock(clock); err != nil {
			return nil, fmt.Errorf("bad datetime %q", s)
		}
	}
	switch {
	case us != 0:
		b = append(b, 11)
	case h != 0 || mi != 0 || sec != 0:
		b = append(b, 7)
	case y != 0 || mo != 0 || d != 0:
		b = append(b, 4)
	default:
		return append(b, 0), nil
	}
	l := b[len(b)-1]
	b = binary.LittleEndian.AppendUint16(b, uint16(y))
	b = append(b, byte(mo), byte(d))
	if l >= 7 {
		b = append(b, byte(h), byte(mi), byte(sec))
	}
	if l == 11 {
		b = binary.LittleEndian.AppendUint32(b, uint32(us))
	}
	return b, nil
}

// appendBinaryTime encodes '[-]h:mm:ss[.ffffff]' (hours may exceed 24).
func appendBinaryTime(b []byte, s string) ([]byte, error) {
	neg := strings.HasPrefix(s, "-")
	h, mi, sec, us, err := parseClock(strings.TrimPrefix(s, "-"))
	if err != nil {
		return nil, fmt.Errorf("bad time %q", s)
	}
	if h == 0 && mi == 0 && sec == 0 && us == 0 {
		return append(b, 0), nil
	}
	l := byte(8)
	if us != 0 {
		l = 12
	}
	b = append(b, l)
	if neg {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(h/24))
	b = append(b, byte(h%24), byte(mi), byte(sec))
	if us != 0 {
		b = binary.LittleEndian.AppendUint32(b, uint32(us))
	}
	return b, nil
}

func parseClock(s string) (h, mi, sec, us int, err error) {
	whole, frac, _ := strings.Cut(s, ".")
	if _, err = fmt.Sscanf(whole, "%d:%d:%d", &h, &mi, &sec); err != nil {
		return
	}
	if frac != "" {
		frac = (frac + "000000")[:6]
		us, err = strconv.Atoi(frac)
	}
	return
}

// writeStatic writes a proxy-made result (VEXPLAIN, SHOW DATABASES ...).
// staticFields are the column definitions of a result the proxy makes up
// (SHOW-like answers, EXPLAIN FORMAT=SHARDLINE): strings.
func staticFields(cols []string) []*mysql.Field {
	fields := make([]*mysql.Field, len(cols))
	for i, c := range cols {
		fields[i] = &mysql.Field{Name: []byte(c), Type: mysql.MYSQL_TYPE_VAR_STRING, Charset: 45, ColumnLength: 1024}
	}
	return fields
}

func (s *Session) writeStatic(r *router.StaticResult, binaryRows bool) error {
	fields := staticFields(r.Columns)
	rows := &sliceStream{fields: fields}
	for _, r := range r.Rows {
		row := make([]mysql.FieldValue, len(r))
		for i, v := range r {
			if v == nil {
				row[i] = mysql.NewFieldValue(mysql.FieldValueTypeNull, 0, nil)
			} else {
				row[i] = mysql.NewFieldValue(mysql.FieldValueTypeString, 0, []byte(fmt.Sprint(v)))
			}
		}
		rows.rows = append(rows.rows, row)
	}
	return s.writeResultSet(fields, rows, binaryRows)
}
