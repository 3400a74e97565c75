package merge

import (
	"errors"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/shardline/shardline/router"
)

// sliceStream is a test input. Like a real result set reader it reuses its
// row and string buffers on every Next, so a merge that keeps a row past the
// next Next of the same input sees it overwritten.
type sliceStream struct {
	fields []*mysql.Field
	rows   [][]mysql.FieldValue
	pos    int
	cur    []mysql.FieldValue
	bufs   [][]byte
	nexts  int   // calls of Next
	closed int   // calls of Close
	err    error // returned after the rows instead of io.EOF
}

func newSlice(fields []*mysql.Field, rows ...[]mysql.FieldValue) *sliceStream {
	return &sliceStream{fields: fields, rows: rows,
		cur: make([]mysql.FieldValue, len(fields)), bufs: make([][]byte, len(fields))}
}

func (s *sliceStream) Fields() []*mysql.Field { return s.fields }

func (s *sliceStream) Next() ([]mysql.FieldValue, error) {
	s.nexts++
	if s.pos >= len(s.rows) {
		for i := range s.cur { // a stale row must not survive
			s.cur[i] = mysql.NewFieldValue(mysql.FieldValueTypeString, 0, []byte("STALE"))
		}
		if s.err != nil {
			return nil, s.err
		}
		return nil, io.EOF
	}
	src := s.rows[s.pos]
	s.pos++
	for i := range src {
		s.bufs[i] = append(s.bufs[i][:0], src[i].AsString()...)
		s.cur[i] = mysql.NewFieldValue(src[i].Type, src[i].AsUint64(), s.bufs[i])
	}
	return s.cur, nil
}

func (s *sliceStream) Close() { s.closed++ }

// Field builders.
func field(name string, typ uint8, flag uint16, charset uint16, dec uint8) *mysql.Field {
	return &mysql.Field{Name: []byte(name), Type: typ, Flag: flag, Charset: charset, Decimal: dec}
}
func intF(name string) *mysql.Field { return field(name, mysql.MYSQL_TYPE_LONGLONG, 0, 63, 0) }
func decF(name string, scale uint8) *mysql.Field {
	return field(name, mysql.MYSQL_TYPE_NEWDECIMAL, 0, 63, scale)
}
func dblF(name string) *mysql.Field  { return field(name, mysql.MYSQL_TYPE_DOUBLE, 0, 63, 31) }
func dateF(name string) *mysql.Field { return field(name, mysql.MYSQL_TYPE_DATETIME, 0, 63, 6) }
func timeF(name string) *mysql.Field { return field(name, mysql.MYSQL_TYPE_TIME, 0, 63, 6) }
func strF(name string, coll uint16) *mysql.Field {
	return field(name, mysql.MYSQL_TYPE_VAR_STRING, 0, coll, 0)
}

// Value builders.
func I(v int64) mysql.FieldValue {
	return mysql.NewFieldValue(mysql.FieldValueTypeSigned, uint64(v), nil)
}
func U(v uint64) mysql.FieldValue { return mysql.NewFieldValue(mysql.FieldValueTypeUnsigned, v, nil) }
func F(v float64) mysql.FieldValue {
	return mysql.NewFieldValue(mysql.FieldValueTypeFloat, math.Float64bits(v), nil)
}
func S(v string) mysql.FieldValue {
	return mysql.NewFieldValue(mysql.FieldValueTypeString, 0, []byte(v))
}

var N = mysql.FieldValue{}

type mf = mysql.FieldValue

func row(v ...mysql.FieldValue) []mysql.FieldValue { return v }

// render prints a value as the text protocol would.
func render(v mysql.FieldValue) string {
	switch v.Type {
	case mysql.FieldValueTypeNull:
		return "NULL"
	case mysql.FieldValueTypeSigned:
		return strconv.FormatInt(v.AsInt64(), 10)
	case mysql.FieldValueTypeUnsigned:
		return strconv.FormatUint(v.AsUint64(), 10)
	case mysql.FieldValueTypeFloat:
		return strconv.FormatFloat(v.AsFloat64(), 'g', -1, 64)
	}
	return string(v.AsString())
}

// run merges the inputs and returns the rows as "a|b|c" lines.
func run(t *testing.T, spec *router.MergeSpec, opts Options, inputs ...*sliceStream) ([]string, error) {
	t.Helper()
	rs := make([]router.RowStream, len(inputs))
	for i, in := range inputs {
		rs[i] = in
	}
	s, err := New(spec, rs, opts)
	if err != nil {
		return nil, err
	}
	var out []string
	err = Drain(s, func(r []mysql.FieldValue) error {
		parts := make([]string, len(r))
		for i, v := range r {
			parts[i] = render(v)
		}
		out = append(out, strings.Join(parts, "|"))
		return nil
	})
	for i, in := range inputs {
		if in.closed != 1 {
			t.Errorf("input %d closed %d times, want 1", i, in.closed)
		}
	}
	return out, err
}

// mustRun is run that fails the test on error.
func mustRun(t *testing.T, spec *router.MergeSpec, inputs ...*sliceStream) []string {
	t.Helper()
	out, err := run(t, spec, Options{}, inputs...)
	if err != nil {
		t.Fatalf("merge: %v", err)
	}
	return out
}

func equalLines(t *testing.T, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows:\n got %q\nwant %q", got, want)
	}
}

func myErrCode(err error) uint16 {
	var me *mysql.MyError
	if errors.As(err, &me) {
		return me.Code
	}
	return 0
}
