package sqlparse

import (
	"reflect"
	"strings"
	"testing"
)

// TestInsertRows: the rows and values of every INSERT ... VALUES (and the
// SET form) are located, and where a column is appended. If it fails, the
// router cannot send each partition its own rows, append a generated
// auto_increment column or replace a NULL/0 id.
func TestInsertRows(t *testing.T) {
	cases := []struct {
		sql    string
		rows   []string // each row's text
		values [][]string
		cols   string // the text before the append point
	}{
		{"insert into t (a, b) values (1, ?)", []string{"1, ?"}, [][]string{{"1", "?"}}, "insert into t (a, b"},
		{"insert into t (a) values (1), (2)", []string{"1", "2"}, [][]string{{"1"}, {"2"}}, "insert into t (a"},
		{"insert into t set a = 1, b = 'x'", []string{"a = 1, b = 'x'"}, [][]string{{"1", "'x'"}}, "insert into t set a = 1, b = 'x'"},
		{"insert into t (a, b) values (1, (select max(c) from u)) on duplicate key update b = 2",
			[]string{"1, (select max(c) from u)"}, [][]string{{"1", "(select max(c) from u)"}}, "insert into t (a, b"},
		{"INSERT INTO t VALUE (f(1, 2), 'a,b')", []string{"f(1, 2), 'a,b'"}, [][]string{{"f(1, 2)", "'a,b'"}}, ""},
	}
	for _, c := range cases {
		st, text := analyze(t, c.sql)
		ins := st.Insert
		var rows []string
		var values [][]string
		for r, sp := range ins.RowSpans {
			rows = append(rows, text.Span(sp.From, sp.To))
			var vs []string
			for _, v := range ins.ValueSpans[r] {
				vs = append(vs, text.Span(v.From, v.To))
			}
			values = append(values, vs)
		}
		if !reflect.DeepEqual(rows, c.rows) || !reflect.DeepEqual(values, c.values) {
			t.Errorf("%s: rows %q values %q, want %q %q", c.sql, rows, values, c.rows, c.values)
		}
		cols := ""
		if ins.ColumnsEnd > 0 {
			cols = text.SQL[:text.Toks[ins.ColumnsEnd-1].End]
		}
		if cols != c.cols {
			t.Errorf("%s: columns end after %q, want %q", c.sql, cols, c.cols)
		}
	}
}

// TestLastInsertID: only a SELECT of LAST_INSERT_ID()/@@last_insert_id/
// @@identity (optionally FROM DUAL) gets LastIDColumns; LAST_INSERT_ID(expr)
// anywhere sets LastIDArg; a session-scope LAST_INSERT_ID() / @@identity /
// @@last_insert_id anywhere sets UsesLastID (a HoleLastID edit). If it
// fails the proxy answers other SELECTs itself, or sends LAST_INSERT_ID()
// to a backend whose value is not the session's.
func TestLastInsertID(t *testing.T) {
	cases := []struct {
		sql  string
		cols []string // the fields as written, or their aliases
		arg  bool
	}{
		{"select last_insert_id()", []string{"last_insert_id()"}, false},
		{"select 1 from t where id = 3", nil, false},
		{"insert into t (a) values (@@identity)", nil, false},
		{"SELECT LAST_INSERT_ID( )", []string{"LAST_INSERT_ID( )"}, false},
		{"select @@identity, @@session.last_insert_id as x from dual", []string{"@@identity", "x"}, false},
		{"select last_insert_id(), 1", nil, false},
		{"select last_insert_id() from t", nil, false},
		{"select @@global.last_insert_id", nil, false},
		{"select last_insert_id() limit 1", nil, false},
		{"select last_insert_id(7)", nil, true},
		{"update t set id = last_insert_id(id + 1)", nil, true},
	}
	for _, c := range cases {
		st, text := analyze(t, c.sql)
		var cols []string
		for _, f := range st.LastIDColumns {
			if f.Alias != "" {
				cols = append(cols, f.Alias)
			} else {
				cols = append(cols, text.Span(f.Span.From, f.Span.To))
			}
		}
		if !reflect.DeepEqual(cols, c.cols) || st.LastIDArg != c.arg {
			t.Errorf("%s: columns %q arg %v, want %q %v", c.sql, cols, st.LastIDArg, c.cols, c.arg)
		}
		uses := strings.Contains(strings.ToLower(c.sql), "last_insert_id(") && !c.arg || strings.Contains(c.sql, "@@identity") ||
			strings.Contains(c.sql, "@@session.last_insert_id")
		if st.UsesLastID != uses {
			t.Errorf("%s: UsesLastID %v, want %v", c.sql, st.UsesLastID, uses)
		}
	}
}
