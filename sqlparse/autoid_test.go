package sqlparse

import (
	"reflect"
	"strings"
	"testing"
)

// TestInsertSplitHoles: every INSERT ... VALUES with a column list (one row
// or many, and the SET form) gets a Split template whose last column is a
// HoleColumns hole and row templates whose values are separated by
// HoleValueSep holes. If it fails, the router cannot append a generated
// auto_increment column or replace a NULL/0 id, and auto ids break.
func TestInsertSplitHoles(t *testing.T) {
	cases := []struct {
		sql   string
		split string   // Split with holes at their defaults
		rows  []string // row templates with holes at their defaults
		seps  []int    // HoleValueSep holes per row
	}{
		{"insert into t (a, b) values (1, ?)", "INSERT INTO `t` (`a`,`b`) VALUES (<R>)", []string{"1,?"}, []int{1}},
		{"insert into t (a) values (1), (2)", "INSERT INTO `t` (`a`) VALUES (<R>)", []string{"1", "2"}, []int{0, 0}},
		{"insert into t set a = 1, b = 'x'", "INSERT INTO `t` (`a`,`b`) VALUES (<R>)", []string{"1,'x'"}, []int{1}},
		{"insert into t (a, b) values (1, (select max(c) from u)) on duplicate key update b = 2",
			"INSERT INTO `t` (`a`,`b`) VALUES (<R>) ON DUPLICATE KEY UPDATE `b`=2", []string{"1,(SELECT MAX(`c`) FROM `u`)"}, []int{1}},
	}
	for _, c := range cases {
		st, err := Analyze(c.sql)
		if err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		ins := st.Insert
		if ins.Split == nil {
			t.Fatalf("%s: no Split", c.sql)
		}
		got := withHoles(ins.Split)
		if got != c.split {
			t.Errorf("%s: split %q, want %q", c.sql, got, c.split)
		}
		cols := 0
		for _, h := range ins.Split.Holes {
			if h.Kind == HoleColumns {
				cols++
				if h.Default != "`"+ins.Columns[len(ins.Columns)-1]+"`" {
					t.Errorf("%s: HoleColumns default %q", c.sql, h.Default)
				}
			}
		}
		if cols != 1 {
			t.Errorf("%s: %d HoleColumns holes, want 1", c.sql, cols)
		}
		var rows []string
		var seps []int
		for _, rt := range ins.RowTemplates {
			rows = append(rows, rt.Text())
			n := 0
			for _, h := range rt.Holes {
				if h.Kind == HoleValueSep {
					n++
				}
			}
			seps = append(seps, n)
		}
		if !reflect.DeepEqual(rows, c.rows) || !reflect.DeepEqual(seps, c.seps) {
			t.Errorf("%s: rows %q seps %v, want %q %v", c.sql, rows, seps, c.rows, c.seps)
		}
	}
}

// withHoles renders a template with "<R>" for the rows hole.
func withHoles(t *Template) string {
	var b strings.Builder
	for i, p := range t.Parts {
		b.WriteString(p)
		if i < len(t.Holes) {
			if t.Holes[i].Kind == HoleRows {
				b.WriteString("<R>")
			} else {
				b.WriteString(t.Holes[i].Default)
			}
		}
	}
	return b.String()
}

// TestLastInsertID: only a SELECT of LAST_INSERT_ID()/@@last_insert_id/
// @@identity (optionally FROM DUAL) gets LastIDColumns, named as MySQL
// names them; LAST_INSERT_ID(expr) anywhere sets LastIDArg; a session-scope
// LAST_INSERT_ID() / @@identity / @@last_insert_id anywhere sets UsesLastID
// (a HoleLastID in the templates). If it fails the
// proxy answers other SELECTs itself, or sends LAST_INSERT_ID() to a
// backend whose value is not the session's.
func TestLastInsertID(t *testing.T) {
	cases := []struct {
		sql  string
		cols []string
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
		st, err := Analyze(c.sql)
		if err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		if !reflect.DeepEqual(st.LastIDColumns, c.cols) || st.LastIDArg != c.arg {
			t.Errorf("%s: columns %q arg %v, want %q %v", c.sql, st.LastIDColumns, st.LastIDArg, c.cols, c.arg)
		}
		uses := strings.Contains(strings.ToLower(c.sql), "last_insert_id(") && !c.arg || strings.Contains(c.sql, "@@identity") ||
			strings.Contains(c.sql, "@@session.last_insert_id")
		if st.UsesLastID != uses {
			t.Errorf("%s: UsesLastID %v, want %v", c.sql, st.UsesLastID, uses)
		}
	}
}
