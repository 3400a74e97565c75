package merge

import (
	"bytes"
	"encoding/binary"
	"math"
	"strconv"

	"github.com/go-mysql-org/go-mysql/mysql"
)

// valKind is how the values of one column compare.
type valKind uint8

const (
	kindString   valKind = iota // by the column's collation
	kindNumeric                 // integers, floats, DECIMAL: by numeric value
	kindDateTime                // DATE, DATETIME, TIMESTAMP: by normalised text
	kindTime                    // TIME: by signed duration
	kindBytes                   // BIT, JSON, GEOMETRY, ENUM/SET fallback: byte order
)

// column holds the comparison rule of one column.
type column struct {
	kind valKind
	str  *strCmp // kindString only
	// enum, when set, orders the column by the position of its value in the
	// ENUM definition (unknown values first, like MySQL's index 0).
	enum map[string]int
}

// withEnums returns a copy of cols whose ENUM columns order by position.
func withEnums(cols []column, enums map[int][]string) []column {
	if len(enums) == 0 {
		return cols
	}
	out := append([]column(nil), cols...)
	for i, vals := range enums {
		if i < 0 || i >= len(out) {
			continue
		}
		m := make(map[string]int, len(vals))
		for pos, v := range vals {
			m[v] = pos + 1
		}
		out[i].enum = m
	}
	return out
}

// newColumn derives the comparison rule from a result set field. coll, when
// not 0, is the column's collation id and overrides f.Charset.
func newColumn(f *mysql.Field, coll uint16) column {
	switch f.Type {
	case mysql.MYSQL_TYPE_TINY, mysql.MYSQL_TYPE_SHORT, mysql.MYSQL_TYPE_INT24,
		mysql.MYSQL_TYPE_LONG, mysql.MYSQL_TYPE_LONGLONG, mysql.MYSQL_TYPE_YEAR,
		mysql.MYSQL_TYPE_FLOAT, mysql.MYSQL_TYPE_DOUBLE,
		mysql.MYSQL_TYPE_DECIMAL, mysql.MYSQL_TYPE_NEWDECIMAL:
		return column{kind: kindNumeric}
	case mysql.MYSQL_TYPE_DATE, mysql.MYSQL_TYPE_NEWDATE, mysql.MYSQL_TYPE_DATETIME,
		mysql.MYSQL_TYPE_DATETIME2, mysql.MYSQL_TYPE_TIMESTAMP, mysql.MYSQL_TYPE_TIMESTAMP2:
		return column{kind: kindDateTime}
	case mysql.MYSQL_TYPE_TIME, mysql.MYSQL_TYPE_TIME2:
		return column{kind: kindTime}
	case mysql.MYSQL_TYPE_BIT, mysql.MYSQL_TYPE_JSON, mysql.MYSQL_TYPE_GEOMETRY:
		return column{kind: kindBytes}
	}
	if coll == 0 {
		coll = f.Charset
	}
	c := lookupCollation(coll, f.Flag&mysql.BINARY_FLAG != 0)
	if c.kind == collLatin1Swedish && !isLatin1Charset(f.Charset) {
		// f.Charset is the connection's: the bytes are UTF-8, not latin1.
		c.kind = collLatin1SwedishUTF8
	}
	return column{kind: kindString, str: newStrCmp(c)}
}

// isLatin1Charset reports whether collation id belongs to the latin1
// character set (so values arrive as latin1 bytes).
func isLatin1Charset(id uint16) bool {
	switch id {
	case 5, 8, 15, 31, 47, 48, 49, 94, 1032, 1071:
		return true
	}
	return false
}

// compare orders a and b; NULL is below every value.
func (c *column) compare(a, b *mysql.FieldValue) int {
	an, bn := a.Type == mysql.FieldValueTypeNull, b.Type == mysql.FieldValueTypeNull
	if an || bn {
		return cmpBool(!an, !bn)
	}
	if c.enum != nil && a.Type == mysql.FieldValueTypeString && b.Type == mysql.FieldValueTypeString {
		return cmpOrder(c.enum[string(a.AsString())], c.enum[string(b.AsString())])
	}
	switch c.kind {
	case kindNumeric:
		return compareNumeric(a, b)
	case kindDateTime:
		return compareDateTime(a.AsString(), b.AsString())
	case kindTime:
		return cmpOrder(parseTime(a.AsString()), parseTime(b.AsString()))
	case kindString:
		if a.Type == mysql.FieldValueTypeString && b.Type == mysql.FieldValueTypeString {
			return c.str.compare(a.AsString(), b.AsString())
		}
		return compareNumeric(a, b)
	}
	return bytes.Compare(a.AsString(), b.AsString())
}

// appendKey appends a key of v that is equal for values the column calls
// equal (for GROUP BY and DISTINCT hashing).
func (c *column) appendKey(dst []byte, v *mysql.FieldValue) []byte {
	if v.Type == mysql.FieldValueTypeNull {
		return append(dst, 0)
	}
	start := len(dst)
	dst = append(dst, 1, 0, 0, 0, 0) // tag + length, patched below
	switch {
	case v.Type == mysql.FieldValueTypeSigned && v.AsInt64() < 0:
		dst = binary.BigEndian.AppendUint64(append(dst, 'n'), v.AsUint64())
	case v.Type == mysql.FieldValueTypeSigned || v.Type == mysql.FieldValueTypeUnsigned:
		dst = binary.BigEndian.AppendUint64(append(dst, 'p'), v.AsUint64())
	case v.Type == mysql.FieldValueTypeFloat:
		f := v.AsFloat64() + 0 // -0 becomes 0
		dst = binary.BigEndian.AppendUint64(append(dst, 'f'), math.Float64bits(f))
	case c.kind == kindNumeric:
		dst = appendDecimalKey(append(dst, 'd'), v.AsString())
	case c.kind == kindDateTime:
		dst = appendDateTimeKey(append(dst, 't'), v.AsString())
	case c.kind == kindTime:
		dst = binary.BigEndian.AppendUint64(append(dst, 'T'), uint64(parseTime(v.AsString())))
	case c.kind == kindString:
		dst = c.str.appendKey(append(dst, 's'), v.AsString())
	default:
		dst = append(append(dst, 'b'), v.AsString()...)
	}
	binary.BigEndian.PutUint32(dst[start+1:], uint32(len(dst)-start-5))
	return dst
}

// compareNumeric orders two numeric values of any FieldValue type exactly
// where it matters (integers of mixed signedness, decimal text) and as
// float64 between a float and an integer, as MySQL does.
func compareNumeric(a, b *mysql.FieldValue) int {
	at, bt := a.Type, b.Type
	switch {
	case isInt(at) && isInt(bt):
		return compareInts(a, b)
	case at == mysql.FieldValueTypeFloat || bt == mysql.FieldValueTypeFloat:
		if at != mysql.FieldValueTypeString && bt != mysql.FieldValueTypeString {
			return cmpOrder(asFloat(a), asFloat(b))
		}
	}
	var bufA, bufB [40]byte
	sa, sb := numericText(bufA[:0], a), numericText(bufB[:0], b)
	if c, ok := compareDecimalText(sa, sb); ok {
		return c
	}
	return cmpOrder(asFloat(a), asFloat(b))
}

func isInt(t mysql.FieldValueType) bool {
	return t == mysql.FieldValueTypeSigned || t == mysql.FieldValueTypeUnsigned
}

// compareInts orders signed and unsigned 64-bit integers exactly.
func compareInts(a, b *mysql.FieldValue) int {
	as, bs := a.Type == mysql.FieldValueTypeSigned, b.Type == mysql.FieldValueTypeSigned
	switch {
	case as && bs:
		return cmpOrder(a.AsInt64(), b.AsInt64())
	case as && a.AsInt64() < 0:
		return -1
	case bs && b.AsInt64() < 0:
		return 1
	}
	return cmpOrder(a.AsUint64(), b.AsUint64())
}

// numericText returns v as decimal text (floats in plain notation).
func numericText(dst []byte, v *mysql.FieldValue) []byte {
	switch v.Type {
	case mysql.FieldValueTypeSigned:
		return strconv.AppendInt(dst, v.AsInt64(), 10)
	case mysql.FieldValueTypeUnsigned:
		return strconv.AppendUint(dst, v.AsUint64(), 10)
	case mysql.FieldValueTypeFloat:
		return formatFloatText(dst, v.AsFloat64())
	}
	return bytes.TrimSpace(v.AsString())
}

// asFloat converts any value to float64 the way MySQL does for a mixed
// comparison (a string converts by its longest numeric prefix, else 0).
func asFloat(v *mysql.FieldValue) float64 {
	switch v.Type {
	case mysql.FieldValueTypeSigned:
		return float64(v.AsInt64())
	case mysql.FieldValueTypeUnsigned:
		return float64(v.AsUint64())
	case mysql.FieldValueTypeFloat:
		return v.AsFloat64()
	}
	s := bytes.TrimSpace(v.AsString())
	for n := len(s); n > 0; n-- {
		if f, err := strconv.ParseFloat(string(s[:n]), 64); err == nil {
			return f
		}
	}
	return 0
}

// cmpBool orders false before true.
func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case b:
		return -1
	}
	return 1
}
