package sqllex

import (
	"strings"
	"testing"
)

var maria = Mode{ServerVersion: 101119, MariaDB: true}

// tokStr renders the code tokens as "Kind:text" separated by spaces.
func tokStr(sql string, toks []Token) string {
	var parts []string
	for _, t := range toks {
		if t.Kind == Space {
			continue
		}
		parts = append(parts, t.Kind.String()+":"+t.Text(sql))
	}
	return strings.Join(parts, " ")
}

// TestLex pins the tokens of texts whose reading follows a MariaDB rule
// (TestMariaDB proves the same texts against the server).
func TestLex(t *testing.T) {
	latin1 := maria
	latin1.Charset = ClientCharset("latin1")
	ansi := maria
	ansi.ANSIQuotes = true
	nbe := maria
	nbe.NoBackslashEscapes = true
	mysql8 := Mode{ServerVersion: 80036}
	cases := []struct {
		m         Mode
		sql, want string
	}{
		{maria, "SELECT 1e5x", "Ident:SELECT Float:1e5 Ident:x"},
		{maria, "123e 1e+x 0x 0x1g 0X1F 0b102 1_0", "Ident:123e Ident:1e Op:+ Ident:x Ident:0x Ident:0x1g Ident:0X1F Ident:0b102 Ident:1_0"},
		{maria, "0xabc 0b101 X'0a' b'01' x'' B''", "Hex:0xabc Bit:0b101 Hex:X'0a' Bit:b'01' Hex:x'' Bit:B''"},
		{maria, "1 1. 1.5 .5 1.e5 1.5E-3 1e5", "Int:1 Decimal:1. Decimal:1.5 Decimal:.5 Float:1.e5 Float:1.5E-3 Float:1e5"},
		{maria, "1..5 1.x", "Int:1 Op:.. Int:5 Decimal:1. Ident:x"},
		{maria, "t.5 t.1e5 t .5 `t`.5 t.select", "Ident:t Op:. Ident:5 Ident:t Op:. Ident:1e5 Ident:t Decimal:.5 QuotedIdent:`t` Decimal:.5 Ident:t Op:. Ident:select"},
		{maria, "a.b.c x. y", "Ident:a Op:. Ident:b Op:. Ident:c Ident:x Op:. Ident:y"},
		{maria, `'a' "b" N'c' n'd' _latin1'e' _utf8 0x41 _bla'f'`, `String:'a' String:"b" NationalString:N'c' NationalString:n'd' Introducer:_latin1 String:'e' Introducer:_utf8 Hex:0x41 Ident:_bla String:'f'`},
		{ansi, `"a" 'b' @"c"`, `QuotedIdent:"a" String:'b' UserVar:@"c"`},
		{maria, `'a\'b' 'c''d' "e\"f"`, `String:'a\'b' String:'c''d' String:"e\"f"`},
		{nbe, `'a\' 'b'`, `String:'a\' String:'b'`},
		{maria, "`a``b` `c\"d`", "QuotedIdent:`a``b` QuotedIdent:`c\"d`"},
		{maria, "1-- x\n2#y\n3--\n4--x", "Int:1 Comment:-- x Int:2 Comment:#y Int:3 Comment:-- Int:4 Op:- Op:- Ident:x"},
		{maria, "1--", "Int:1 Comment:--"},
		{maria, "1#a\x00b", "Int:1 Comment:#a Op:\x00 Ident:b"},
		{latin1, "1--\xa0x\n\xe9\xd7", "Int:1 Comment:--\xa0x Ident:\xe9 Op:\xd7"},
		{maria, "/* a /* b */ c", "Comment:/* a /* b */ Ident:c"},
		{maria, "/*!50000 a*/ /*!80000 b*/ /*M!80000 c*/ /*! d*/ /*!101120 e*/", "ExecCommentOpen:/*!50000 Ident:a ExecCommentClose:*/ Comment:/*!80000 b*/ ExecCommentOpen:/*M!80000 Ident:c ExecCommentClose:*/ ExecCommentOpen:/*! Ident:d ExecCommentClose:*/ Comment:/*!101120 e*/"},
		{maria, "/*!99999 a /* b */ c */ d", "Comment:/*!99999 a /* b */ c */ Ident:d"},
		{maria, "/*! /*!a */ */", "ExecCommentOpen:/*! ExecCommentOpen:/*! Ident:a ExecCommentClose:*/ Op:* Op:/"},
		{maria, "/*T! a */ /*+ b */ /*m! c */", "Comment:/*T! a */ Comment:/*+ b */ Comment:/*m! c */"},
		{mysql8, "/*!80000 a*/ /*M!50000 b*/ /*!800001*/", "ExecCommentOpen:/*!80000 Ident:a ExecCommentClose:*/ Comment:/*M!50000 b*/ ExecCommentOpen:/*!80000 Int:1 ExecCommentClose:*/"},
		{maria, "a*/b", "Ident:a Op:* Op:/ Ident:b"},
		{maria, "<=> <= <> << >= >> != =< == => ! < > =", "Op:<=> Op:<= Op:<> Op:<< Op:>= Op:>> Op:!= Op:= Op:< Op:= Op:= Op:= Op:> Op:! Op:< Op:> Op:="},
		{maria, "&& || & | := : \\N \\n", "Op:&& Op:|| Op:& Op:| Op::= Op:: Op:\\N Op:\\ Ident:n"},
		{maria, "? ?a", "Param:? Op:? Ident:a"},
		{maria, "@a @a.b @'a b' @`c` @ @@x @@session.x @@global.`y` @@`z`", "UserVar:@a UserVar:@a.b UserVar:@'a b' UserVar:@`c` UserVar:@ SysVar:@@x SysVar:@@session.x SysVar:@@global.`y` SysVar:@@`z`"},
		{maria, "@@`a`.5 @@a..b 'u'@localhost", "SysVar:@@`a` Decimal:.5 SysVar:@@a Op:. Op:. Ident:b String:'u' UserVar:@localhost"},
		{maria, "a$b $ _ é", "Ident:a$b Ident:$ Ident:_ Ident:é"},
		{maria, "SELECT.5", "Ident:SELECT Op:. Ident:5"},
	}
	for _, c := range cases {
		toks, err := Lex(c.sql, c.m)
		if err != nil {
			t.Errorf("%q: %v", c.sql, err)
			continue
		}
		if got := tokStr(c.sql, toks); got != c.want {
			t.Errorf("%q:\n got  %s\n want %s", c.sql, got, c.want)
		}
	}
}

func TestLexErrors(t *testing.T) {
	for _, sql := range lexErrorCases {
		if _, err := Lex(sql, maria); err == nil {
			t.Errorf("%q: no error", sql)
		}
	}
	_, err := Lex("SELECT 'abc", maria)
	if e, ok := err.(*Error); !ok || e.Pos != 7 {
		t.Errorf("error %v, want *Error at 7", err)
	}
}

func TestParseText(t *testing.T) {
	latin1 := maria
	latin1.Charset = ClientCharset("latin1")
	cases := []struct {
		m         Mode
		sql, want string
	}{
		{maria, "SELECT 1", "SELECT 1"},
		{maria, "SELECT /*+ x */ 1 /*!50000 + 1 */ /*!80000 OR 1*/", "SELECT          1          + 1                   "},
		{maria, "SELECT 1 -- a\n+ 1 # b\n/* c\nd */", "SELECT 1     \n+ 1    \n    \n    "},
		{maria, "SELECT\t1\x0b\r\n", "SELECT 1  \n"},
		{latin1, "SELECT\xa01", "SELECT 1"},
		{maria, "SELECT '/*' /*T! x */", "SELECT '/*'          "},
	}
	for _, c := range cases {
		toks, err := Lex(c.sql, c.m)
		if err != nil {
			t.Fatal(err)
		}
		got := ParseText(c.sql, toks)
		if got != c.want || len(got) != len(c.sql) {
			t.Errorf("%q: got %q, want %q", c.sql, got, c.want)
		}
	}
}

func TestSplitStatements(t *testing.T) {
	cases := []struct {
		sql  string
		want []string
	}{
		{"SELECT 1", []string{"SELECT 1"}},
		{" SELECT 1 ; SELECT 2 ;; ", []string{"SELECT 1", "SELECT 2"}},
		{"SELECT ';'; SELECT `;`", []string{"SELECT ';'", "SELECT `;`"}},
		{"SELECT 1 /* ; */; SELECT 2 -- ;", []string{"SELECT 1 /* ; */", "SELECT 2 --"}},
		{"SELECT 1; -- c", []string{"SELECT 1", "-- c"}},
		{"SELECT 1;;SELECT 2", []string{"SELECT 1", ";SELECT 2"}},
		{"SELECT 1;/**/;SELECT 2", []string{"SELECT 1", "/**/;SELECT 2"}},
		{"SELECT 1 /*! ; SELECT 2 */; SELECT 3", []string{"SELECT 1 /*! ; SELECT 2 */; SELECT 3"}},
		{"SELECT 1; SELECT 'x; SELECT 3", []string{"SELECT 1", "SELECT 'x; SELECT 3"}},
		{"SELECT 1; /*!SELECT 2*/", []string{"SELECT 1", "/*!SELECT 2*/"}},
		{"", []string{""}},
		{" ; ", []string{""}},
	}
	for _, c := range cases {
		var got []string
		for _, r := range SplitStatements(c.sql, maria) {
			got = append(got, c.sql[r[0]:r[1]])
		}
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("%q: got %q, want %q", c.sql, got, c.want)
		}
	}
}

func TestShape(t *testing.T) {
	cases := []struct{ sql, key, lits string }{
		{"SELECT c FROM sbtest1 WHERE id=4242", "SELECT c FROM sbtest1 WHERE id = ?i", "Int:4242"},
		{"select  c\nfrom t /* x */ where id = 1 -- y", "select c from t where id = ?i", "Int:1"},
		{"SELECT 1.5, 1e5, 'a' 'b', N'c' 'd', _latin1'e', 0x41, X'41', 0b1, b'1', -1", "SELECT ?d , ?f , ?s , ?n , _latin1 ?s , ?x , ?X , ?b , ?B , - ?i", "Decimal:1.5 Float:1e5 String:'a' 'b' NationalString:N'c' 'd' String:'e' Hex:0x41 Hex:X'41' Bit:0b1 Bit:b'1' Int:1"},
		{"SELECT 1 /*!50000 + 2 */ /*!80000 + 3 */", "SELECT ?i + ?i", "Int:1 Int:2"},
		{"SELECT t.5, ?, `a b`", "SELECT t . 5 , ? , `a b`", ""},
	}
	for _, c := range cases {
		toks, err := Lex(c.sql, maria)
		if err != nil {
			t.Fatal(err)
		}
		key, lits := Shape(c.sql, toks)
		var ls []string
		for _, l := range lits {
			ls = append(ls, l.Kind.String()+":"+c.sql[l.Start:l.End])
		}
		if key != c.key || strings.Join(ls, " ") != c.lits {
			t.Errorf("%q:\n got  %q %q\n want %q %q", c.sql, key, ls, c.key, c.lits)
		}
		bkey, blits := AppendShape(nil, nil, c.sql, toks)
		if string(bkey) != key || len(blits) != len(lits) {
			t.Errorf("%q: AppendShape %q differs from Shape %q", c.sql, bkey, key)
		}
	}
}

// TestShapeKeyDistinguishes checks that texts differing in more than
// literal values get different keys.
func TestShapeKeyDistinguishes(t *testing.T) {
	pairs := [][2]string{
		{"SELECT t.5", "SELECT t .5"}, {"SELECT 1", "SELECT 1.0"}, {"SELECT 0x1", "SELECT X'01'"},
		{"SELECT 'a'", "SELECT N'a'"}, {"SELECT 'a'", "SELECT _latin1'a'"}, {"SELECT a", "SELECT A"},
		{"SELECT ?", "SELECT ?i"}, {"SELECT 'a', 'b'", "SELECT 'a' 'b'"}, {"SELECT ab", "SELECT a b"},
		{"SELECT 1 /*!99999 + 1 */", "SELECT 1 /*!50000 + 1 */"},
	}
	for _, p := range pairs {
		a, _ := Lex(p[0], maria)
		b, _ := Lex(p[1], maria)
		ka, _ := Shape(p[0], a)
		kb, _ := Shape(p[1], b)
		if ka == kb {
			t.Errorf("%q and %q share the key %q", p[0], p[1], ka)
		}
	}
}

func TestValues(t *testing.T) {
	nbe := maria
	nbe.NoBackslashEscapes = true
	cases := []struct {
		m         Mode
		lit, want string
	}{
		{maria, `'a\nb\%\_\x\0\Z'`, "a\nb\\%\\_x\x00\x1a"},
		{nbe, `'a\nb'`, `a\nb`},
		{maria, `'it''s' "x""y"`, `it'sx"y`},
		{maria, `0xabc`, "\x0a\xbc"},
		{maria, `X'4142'`, "AB"},
		{maria, `b'100000001'`, "\x01\x01"},
		{maria, `0b1`, "\x01"},
		{maria, `1.50`, "1.50"},
	}
	for _, c := range cases {
		toks, err := Lex(c.lit, c.m)
		if err != nil {
			t.Fatal(err)
		}
		_, lits := Shape(c.lit, toks)
		if got := string(lits[0].Value(c.lit, toks, c.m)); got != c.want {
			t.Errorf("%s: got %q, want %q", c.lit, got, c.want)
		}
	}
}

func TestQuote(t *testing.T) {
	nbe := maria
	nbe.NoBackslashEscapes = true
	v := []byte("a'b\\c\x00\n\r\x1a\"")
	if got := string(AppendQuotedString(nil, v, maria)); got != `'a\'b\\c\0\n\r\Z\"'` {
		t.Errorf("default mode: %s", got)
	}
	if got := string(AppendQuotedString(nil, v, nbe)); got != "'a''b\\c\x00\n\r\x1a\"'" {
		t.Errorf("NO_BACKSLASH_ESCAPES: %q", got)
	}
	if got := string(AppendQuotedIdent(nil, "a`b")); got != "`a``b`" {
		t.Errorf("ident: %s", got)
	}
}

func TestClientCharset(t *testing.T) {
	for _, name := range []string{"latin1", "LATIN1", "utf8", "utf8mb4", "ujis", "binary", "cp1250"} {
		if ClientCharset(name) == nil {
			t.Errorf("%s not modelled", name)
		}
	}
	for _, name := range []string{"gbk", "big5", "sjis", "cp932", "swe7", "keybcs2", "ucs2", "utf16", "utf32", "nope"} {
		if ClientCharset(name) != nil {
			t.Errorf("%s modelled", name)
		}
	}
}
