package sqllex

import (
	"errors"
	"math/rand"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
)

// lexErrorCases are texts Lex rejects; the server must reject each with a
// syntax error.
var lexErrorCases = []string{
	"SELECT 'abc", `SELECT "abc`, "SELECT N'abc", "SELECT 'abc\\'", "SELECT 1 AS `abc", "SELECT 1 AS `a\x00b`",
	"SELECT 1 /* x", "SELECT 1 /*! 1", "SELECT 1 /*!99999 x", "SELECT 1 /*!99999 /* x */", "SELECT X'4'", "SELECT X'4G'",
	"SELECT X'41", "SELECT b'2'", "SELECT b'1", "SELECT 1.e", "SELECT .5e+", "SELECT 1.5E-)", "SELECT @@ x", "SELECT @@",
	"SELECT @'abc", "SELECT @`abc", "SELECT @@`abc", "SELECT 1 1.e, 2",
}

func (s *server) testLexErrors(t *testing.T) {
	for _, mode := range []string{"", "ANSI_QUOTES", "NO_BACKSLASH_ESCAPES"} {
		se := s.session(t, "utf8mb4", mode)
		m := s.modeFor("utf8mb4", mode)
		for _, q := range lexErrorCases {
			_, err := Lex(q, m)
			got := se.outcome(q)
			if err == nil && mode == "" {
				t.Errorf("%q: Lex accepts it (server: %v)", q, got)
			}
			if err != nil && got.code != 1064 {
				t.Errorf("%s %q: Lex: %v, but the server answers %v", mode, q, err, got)
			}
		}
	}
}

// literalCases are literals whose value the server computes in a way that
// is easy to get wrong.
var literalCases = []string{
	`'abc'`, `''`, `""`, `'it''s'`, `"it""s"`, `'it\'s'`, `"a'b"`, `'a"b'`, `'a""b'`, `"a''b"`,
	`'\0\b\n\r\t\Z'`, `'\%\_'`, `'\x\y\a\\'`, `'\"'`, `'\\\''`, `'a' 'b'`, `'a' "b" 'c'`, `N'a' 'b'`,
	`'a' /* c */ 'b'`, `'a' /*! 'b' */`, `'\é'`, "'\x00'", "'a\nb'", `'a\b'`, `'\N'`, `'%\%'`,
	`0x41`, `0x041`, `0xabc`, `X'4142'`, `x''`, `0b1`, `0b101`, `b'0000000001'`, `B''`, `0b11111111`,
	`b'100000000'`, `_latin1'\xe9'`, `_binary'\0'`, `'a\` + "\xff'",
}

// testStringValues proves StringValue, HexValue, BitValue and adjacent
// string grouping: SELECT HEX(<literal>) on the server equals the hex of
// sqllex's value, in the default mode and under NO_BACKSLASH_ESCAPES.
func (s *server) testStringValues(t *testing.T) {
	for _, mode := range []string{"", "NO_BACKSLASH_ESCAPES"} {
		se := s.session(t, "binary", mode)
		m := s.modeFor("binary", mode)
		for _, lit := range literalCases {
			sql := "SELECT HEX(" + lit + ")"
			toks, err := Lex(sql, m)
			if err != nil {
				if _, serr := se.hexOf(lit); serr == nil {
					t.Errorf("%s %q: Lex: %v, but the server reads it", mode, sql, err)
				}
				continue
			}
			_, lits := Shape(sql, toks)
			if len(lits) != 1 {
				t.Errorf("%s %q: %d literals, want 1", mode, sql, len(lits))
				continue
			}
			want, err := se.hexOf(lit)
			if err != nil {
				t.Errorf("%s %q: %v", mode, sql, err)
				continue
			}
			if got := hexUpper(lits[0].Value(sql, toks, m)); got != want {
				t.Errorf("%s %s: sqllex %s, server %s", mode, lit, got, want)
			}
		}
	}
}

// testQuoting proves AppendQuotedString and AppendQuotedIdent: random
// values quoted by sqllex read back exactly on the server, in both modes,
// as ASCII in utf8mb4 and with every byte value in latin1 and binary.
func (s *server) testQuoting(t *testing.T) {
	rng := rand.New(rand.NewSource(12))
	special := []byte{0, '\'', '"', '\\', '\n', '\r', 0x1a, '%', '_', '`', ' ', 'a', 'Z'}
	for _, mode := range []string{"", "NO_BACKSLASH_ESCAPES", "ANSI_QUOTES"} {
		for _, cs := range []string{"utf8mb4", "latin1", "binary"} {
			se := s.session(t, cs, mode)
			m := s.modeFor(cs, mode)
			for i := 0; i < 200; i++ {
				v := make([]byte, rng.Intn(24))
				for j := range v {
					switch {
					case rng.Intn(2) == 0:
						v[j] = special[rng.Intn(len(special))]
					case cs == "utf8mb4":
						v[j] = byte(rng.Intn(0x80))
					default:
						v[j] = byte(rng.Intn(256))
					}
				}
				q := AppendQuotedString(nil, v, m)
				if got, err := se.hexOf(string(q)); err != nil || got != hexUpper(v) {
					t.Errorf("%s %s: %q quoted as %q reads back as %s, %v", mode, cs, v, q, got, err)
				}
			}
			for i := 0; i < 50; i++ {
				name := randomName(rng)
				id := string(AppendQuotedIdent(nil, name))
				q := "SELECT " + id + ".c FROM (SELECT 7 AS c) AS " + id
				if _, v, err := se.query(q); err != nil || string(v) != "7" {
					t.Errorf("%s %s: identifier %q quoted as %s: %q, %v", mode, cs, name, id, v, err)
				}
			}
		}
	}
}

// randomName returns a table alias: printable ASCII with quotes and
// backslashes, no space at either end (the server trims those).
func randomName(rng *rand.Rand) string {
	const chars = "ab`\"'\\ .-;*/#$_1"
	n := 1 + rng.Intn(12)
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[rng.Intn(len(chars))]
	}
	return strings.TrimSpace(string(b)) + "x"
}

// splitCases are multi-statement texts.
var splitCases = []string{
	"SELECT 1; SELECT 2", "SELECT 1;", "SELECT 1; ", "SELECT 1;;", "SELECT 1;;SELECT 2", "SELECT 1; ;SELECT 2",
	";SELECT 1", "SELECT 1; -- c", "SELECT 1; /* c */", "SELECT 1;/**/;SELECT 2", "SELECT 1;/**/;",
	"SELECT 1 /*! ; SELECT 2 */", "SELECT 1 /*! ; SELECT 2", "SELECT 1; /*!SELECT 2*/", "SELECT ';'; SELECT 2",
	"SELECT `;`FROM (SELECT 1 AS `;`) t; SELECT 2", "SELECT 1 # ;\n; SELECT 2", "SELECT 1 -- ;\n; SELECT 2",
	"SELECT 1 /* ; */; SELECT 2", "SELECT 1 /*!99999 ; */; SELECT 2", "SELECT 1;\nSELECT 'a\\';'; SELECT 3",
	"SELECT 1; SELECT 'x", "SELECT 1; SELECT 2 /*", "SELECT 1;#x\n;SELECT 2", "SELECT 1;-- x\n;", "/**/",
	"SELECT 1 --;", "SELECT 1; SELECT 2 --;", "  SELECT 1 ;  SELECT 2 ;  ", "SELECT 1;SELECT 2;SELECT 3",
}

// testSplitStatements proves SplitStatements: the results of a
// multi-statement text equal the results of running each range alone.
func (s *server) testSplitStatements(t *testing.T) {
	m := s.mode
	for _, text := range splitCases {
		whole := s.multiResults(t, text)
		var parts []string
		for _, r := range SplitStatements(text, m) {
			parts = append(parts, s.multiResults(t, text[r[0]:r[1]])...)
			if strings.HasPrefix(parts[len(parts)-1], "error") {
				break
			}
		}
		// go-sql-driver skips the OK of a statement without result set
		// after the first one; compare without them.
		whole, parts = withoutOK(whole), withoutOK(parts)
		if strings.Join(whole, "|") != strings.Join(parts, "|") {
			t.Errorf("%q: server %v, split %v %v", text, whole, SplitStatements(text, m), parts)
		}
	}
}

func withoutOK(rs []string) []string {
	var out []string
	for _, r := range rs {
		if r != "ok" {
			out = append(out, r)
		}
	}
	return out
}

// multiResults runs text as one COM_QUERY and describes each result: its
// first value, "ok" for one without columns, or the error that ends it.
func (s *server) multiResults(t *testing.T, text string) []string {
	rows, err := s.db.Query(text)
	if err != nil {
		return []string{errText(t, err)}
	}
	defer rows.Close()
	var out []string
	for {
		cols, err := rows.Columns()
		if err != nil {
			return append(out, errText(t, err))
		}
		res := "ok"
		for rows.Next() {
			var v []byte
			if len(cols) == 1 && rows.Scan(&v) == nil {
				res = string(v)
			}
		}
		if err := rows.Err(); err != nil {
			return append(out, errText(t, err))
		}
		out = append(out, res)
		if !rows.NextResultSet() {
			if err := rows.Err(); err != nil {
				out = append(out, errText(t, err))
			}
			return out
		}
	}
}

func errText(t *testing.T, err error) string {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return "error " + me.Error()[:10]
	}
	t.Fatalf("unexpected error %v", err)
	return ""
}
