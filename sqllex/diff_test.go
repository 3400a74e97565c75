package sqllex

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"testing"

	"github.com/go-sql-driver/mysql"
)

// outcome is what the server answered: the first value, or an error code.
type outcome struct {
	val  []byte
	code uint16
}

func (o outcome) String() string {
	if o.code != 0 {
		return "error " + strconv.Itoa(int(o.code))
	}
	return fmt.Sprintf("%q", o.val)
}

func (se *session) outcome(q string) outcome {
	_, v, err := se.query(q)
	if err != nil {
		var me *mysql.MySQLError
		if !errors.As(err, &me) {
			se.t.Fatalf("%q: %v", q, err)
		}
		return outcome{code: me.Number}
	}
	return outcome{val: v}
}

// render rebuilds a statement from its code tokens joined by spaces, each
// string literal requoted from its decoded value: when sqllex read a token
// boundary, a comment or a literal differently from the server, the server
// reads the rendering differently from the original.
//
// An identifier right after "ident." (t.5, t.1e5, t.select) is backquoted:
// the server reads it as an identifier whatever it looks like, and the
// rendering must say so once spaces separate it from the '.'.
func render(sql string, toks []Token, m Mode) string {
	var b []byte
	for i, t := range toks {
		if t.Kind.Skipped() {
			continue
		}
		if len(b) > 0 {
			b = append(b, ' ')
		}
		switch t.Kind {
		case NationalString:
			b = AppendQuotedString(append(b, 'N'), StringValue(sql, t, m), m)
		case String:
			b = AppendQuotedString(b, StringValue(sql, t, m), m)
		case Ident:
			if qualifiedPart(sql, toks, i) {
				b = AppendQuotedIdent(b, sql[t.Start:t.End])
				break
			}
			b = append(b, sql[t.Start:t.End]...)
		default:
			b = append(b, sql[t.Start:t.End]...)
		}
	}
	return string(b)
}

// qualifiedPart reports whether the identifier toks[i] is joined to a
// neighbour by a '.' without spaces (t.5, FROM.x): the server then reads it
// as an identifier, never a keyword or a number.
func qualifiedPart(sql string, toks []Token, i int) bool {
	dot := func(j int) bool {
		return j >= 0 && j < len(toks) && toks[j].Kind == Op && sql[toks[j].Start:toks[j].End] == "."
	}
	joined := func(a, b int) bool { return a >= 0 && b < len(toks) && toks[a].End == toks[b].Start }
	return dot(i-1) && joined(i-1, i) || dot(i+1) && joined(i, i+1) && i+2 < len(toks) && toks[i+2].Kind == Ident && joined(i+1, i+2)
}

type lexCase struct {
	charset, sqlMode, sql string
	exec                  int // executed executable comments sqllex must see (-1: don't check)
}

// differ runs c on the server three ways (as written, as ParseText, as
// render) and reports any difference.
func (s *server) differ(t *testing.T, se *session, c lexCase) {
	t.Helper()
	m := s.modeFor(c.charset, c.sqlMode)
	toks, err := Lex(c.sql, m)
	orig := se.outcome(c.sql)
	if err != nil {
		if orig.code != 1064 {
			t.Errorf("%q: sqllex: %v; server: %v, want a syntax error", c.sql, err, orig)
		}
		return
	}
	if c.exec >= 0 {
		n := 0
		for _, tk := range toks {
			if tk.Kind == ExecCommentOpen {
				n++
			}
		}
		if n != c.exec {
			t.Errorf("%q: sqllex runs %d executable comments, want %d", c.sql, n, c.exec)
		}
	}
	for _, alt := range []string{ParseText(c.sql, toks), render(c.sql, toks, m)} {
		if got := se.outcome(alt); got.code != orig.code || !bytes.Equal(got.val, orig.val) {
			t.Errorf("%s/%q:\n server reads %q as %v\n but sqllex's reading %q as %v", c.charset, c.sqlMode, c.sql, orig, alt, got)
		}
	}
}

func (s *server) modeFor(charset, sqlMode string) Mode {
	m := s.mode
	m.Charset = ClientCharset(charset)
	m.ANSIQuotes = bytes.Contains([]byte(sqlMode), []byte("ANSI_QUOTES"))
	m.NoBackslashEscapes = bytes.Contains([]byte(sqlMode), []byte("NO_BACKSLASH_ESCAPES"))
	return m
}

func (s *server) runCases(t *testing.T, cases []lexCase) {
	sessions := map[[2]string]*session{}
	for _, c := range cases {
		if c.charset == "" {
			c.charset = "utf8mb4"
		}
		k := [2]string{c.charset, c.sqlMode}
		if sessions[k] == nil {
			sessions[k] = s.session(t, c.charset, c.sqlMode)
		}
		s.differ(t, sessions[k], c)
	}
}

// testExecutableComments proves the rule for /*! */ and /*M! */: each form
// holds "+1" (or more) and the server's answer must match sqllex's decision
// to run or skip it, for versions below, at and above the server's.
func (s *server) testExecutableComments(t *testing.T) {
	v := s.version
	exec := func(sql string, n int) lexCase { return lexCase{sql: sql, exec: n} }
	cases := []lexCase{
		exec("SELECT 1 /*! +1 */", 1),
		exec("SELECT 1 /*!+1*/", 1),
		exec("SELECT 1 /*M! +1 */", 1),
		exec("SELECT 1 /*m! +1 */", 0),
		exec("SELECT 1 /*!*/", 1),
		exec("SELECT 1 /*!00000 +1 */", 1),
		exec("SELECT 1 /*!32302 +1 */", 1),
		exec("SELECT 1 /*!50699 +1 */", 1),
		exec("SELECT 1 /*!50700 +1 */", 0),
		exec("SELECT 1 /*!80000 OR 1=1 */", 0),
		exec("SELECT 1 /*!99999 +1 */", 0),
		exec("SELECT 1 /*M!50700 +1 */", 1),
		exec("SELECT 1 /*M!80000 +1 */", 1),
		exec("SELECT 1 /*M!99999 +1 */", 1),
		exec("SELECT 1 /*!100000 +1 */", 1),
		exec(fmt.Sprintf("SELECT 1 /*!%d +1 */", v-1), 1),
		exec(fmt.Sprintf("SELECT 1 /*!%d +1 */", v), 1),
		exec(fmt.Sprintf("SELECT 1 /*!%d +1 */", v+1), 0),
		exec(fmt.Sprintf("SELECT 1 /*M!%d +1 */", v), 1),
		exec(fmt.Sprintf("SELECT 1 /*M!%d +1 */", v+1), 0),
		exec(fmt.Sprintf("SELECT 1 /*!%d+1*/", v), 1),
		exec(fmt.Sprintf("SELECT 1 /*!%d1 */", v), 1), // 7 digits: the 6-digit prefix is the version, then "1"
		exec("SELECT 1 /*!1000001 */", 1),             // version 100000, then "1": a syntax error
		exec("SELECT 1 /*!1234567+1 */", 0),
		exec("SELECT 1 /*!999999+1*/", 0),
		exec("SELECT 1 /*!5000+1 */", 1), // 4 digits are not a version: "5000+1" is code
		exec("SELECT 1 /*!50000 + LENGTH('*/') */", 1),
		exec("SELECT 1 /*!50000 + LENGTH(\"*/\") */", 1),
		exec("SELECT 1 /*!99999 + LENGTH('*/') */", 0),
		exec("SELECT 1 /*!50000 /* c */ +1 */", 1),
		exec("SELECT 1 /*!99999 /* c */ +1 */ +2", 0),
		exec("SELECT 1 /*!99999 /* /* c */ +1 */ +2", 0),
		exec("SELECT 1 /*! /*!+1 */ +1 */", 2), // the inner */ ends both: the last */ is * /
		exec("SELECT 1 /*! /*!99999 +1 */ +1 */", 1),
		exec("SELECT 1 /*T! +1 */", 0),
		exec("SELECT 1 /*+ +1 */", 0),
		exec("SELECT 1 /*!", 0),
		exec("SELECT 1 /*", 0),
		exec("SELECT 1 /*! +1", 0),
		exec("SELECT 1 /*!99999 +1", 0),
		exec("SELECT 1 */", 0),
		exec("SELECT 1/*!50000+1*//*!50000+1*/", 2),
		exec("SELECT 1 /*M!!+1 */", 1),
		exec("SELECT 1 /*!M!+1 */", 1),
		exec("SELECT 1 /*!50000 -- x\n+1 */", 1),
		exec("SELECT 1 /*!50000 # x */ +1", 1),
		exec("SELECT 1 /*/ +1 */", 0),
		exec("SELECT 1 /**/+1", 0),
	}
	s.runCases(t, cases)
}
