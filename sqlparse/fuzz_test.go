package sqlparse

import (
	"strings"
	"testing"

	"github.com/shardline/shardline/sqllex"
)

// FuzzSplice checks the round-trip property of physical statements: for any
// text the analysis accepts, under any sql_mode,
//   - a template whose edits write back what they replace renders the text
//     byte for byte;
//   - with every table name replaced (as the router does), the result still
//     reads, under the same sql_mode, as a statement with the same '?'
//     markers and the same literals, byte for byte and in order: nothing the
//     client wrote as a value changes when names do.
func FuzzSplice(f *testing.F) {
	for _, s := range statements {
		f.Add(s, uint8(0))
	}
	for _, s := range []string{
		`DELETE FROM t WHERE v = 'x\' AND v = ' OR 1=1 -- '`,
		"DELETE FROM t WHERE id = 1 AND '\xbf\x5c' = ' OR 1=1 -- '",
		`SELECT * FROM t WHERE v = "v"`,
		"DELETE FROM t WHERE id = 0x05",
		"DELETE FROM t WHERE id = 1 /*!80000 OR 1=1 */",
		"SELECT * FROM t WHERE id = '5.0' OR id = ' 5' OR id = '+5'",
		"INSERT INTO t VALUES ('7.0', UUID())",
		"SELECT * FROM t WHERE k = 'abc ' AND k = _latin1'ABC' COLLATE latin1_bin",
		"select t.a, s.t.b, `t`.* from s.t, t where t.x = ? and s.t.y = 'it''s'",
	} {
		for m := uint8(0); m < 4; m++ {
			f.Add(s, m)
		}
	}
	f.Fuzz(func(t *testing.T, sql string, mode uint8) {
		o := mariadb1011
		o.Lex.ANSIQuotes = mode&1 != 0
		o.Lex.NoBackslashEscapes = mode&2 != 0
		st, text, err := Analyze(sql, o)
		if err != nil || st.Kind == KindUnsupported {
			return
		}
		if got := render(st, text, keepAll(text)); got != text.SQL || !strings.Contains(sql, text.SQL) {
			t.Fatalf("%q rendered as %q", sql, got)
		}
		physical := render(st, text, func(b *strings.Builder, e *Edit) {
			switch e.Hole.Kind {
			case HoleTable:
				b.WriteString("`phys_db`.`phys_t`")
			case HoleQualifier:
				b.WriteString(Name("phys_db") + "." + Name("phys_t"))
			default:
				b.WriteString(text.Span(e.From, e.To))
			}
		})
		again, err := lexText(physical, o.Lex, o.Charset)
		if err != nil {
			t.Fatalf("%q: the physical statement %q does not lex: %v", sql, physical, err)
		}
		if a, b := literals(text), literals(again); a != b {
			t.Fatalf("%q -> %q: literals %q became %q", sql, physical, a, b)
		}
	})
}

// literals lists the literal and marker tokens of a text, in order.
func literals(t *Text) string {
	var b strings.Builder
	for i, tk := range t.Toks {
		if tk.Kind.IsLiteral() || tk.Kind == sqllex.Param || tk.Kind == sqllex.Introducer {
			b.WriteString(t.tok(i))
			b.WriteByte(0)
		}
	}
	return b.String()
}
