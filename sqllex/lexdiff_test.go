package sqllex

import "testing"

// lexingCases are texts whose reading depends on a MariaDB lexical rule.
// Each runs as written, as ParseText and as render (see differ).
var lexingCases = []lexCase{
	// Numbers and identifiers that start with digits.
	{sql: "SELECT 1e5x"}, {sql: "SELECT 123e"}, {sql: "SELECT 1e"}, {sql: "SELECT 1e+"}, {sql: "SELECT 1e+x"},
	{sql: "SELECT 1e+1x"}, {sql: "SELECT 1E-1"}, {sql: "SELECT 0x"}, {sql: "SELECT 0x1g"}, {sql: "SELECT 0X1F"},
	{sql: "SELECT 0xabc"}, {sql: "SELECT 0x41+0"}, {sql: "SELECT 0b"}, {sql: "SELECT 0b102"}, {sql: "SELECT 0b101+0"},
	{sql: "SELECT 1.e5"}, {sql: "SELECT 1.x"}, {sql: "SELECT 1.5x"}, {sql: "SELECT .5"}, {sql: "SELECT .5e1"},
	{sql: "SELECT 1..5"}, {sql: "SELECT 1 AS 1e"}, {sql: "SELECT 1_000"}, {sql: "SELECT 1$"}, {sql: "SELECT 18446744073709551616"},
	{sql: "SELECT 1.5e5.5"}, {sql: "SELECT 1 .5"}, {sql: "SELECT 0x1F.5"}, {sql: "SELECT 0b1.5"},
	// Qualified names: after "ident." digits are an identifier.
	{sql: "SELECT t.5 FROM (SELECT 1 AS `5`) t"}, {sql: "SELECT t.1e5 FROM (SELECT 2 AS `1e5`) t"},
	{sql: "SELECT t .5 FROM (SELECT 1 AS `5`) t"}, {sql: "SELECT `t`.5 FROM (SELECT 1 AS `5`) t"},
	{sql: "SELECT t.`5` FROM (SELECT 3 AS `5`) t"}, {sql: "SELECT t.x FROM (SELECT 4 AS x) t"},
	{sql: "SELECT t. x FROM (SELECT 4 AS x) t"}, {sql: "SELECT mysql.user.user FROM mysql.user LIMIT 1"},
	{sql: "SELECT t.0x1 FROM (SELECT 5 AS `0x1`) t"}, {sql: "SELECT t.select FROM (SELECT 6 AS `select`) t"},
	// Strings, escapes, adjacent strings, national strings, introducers.
	{sql: `SELECT 'a' 'b'`}, {sql: `SELECT 'a' "b"`}, {sql: `SELECT N'a' 'b'`}, {sql: `SELECT 'a' N'b'`},
	{sql: `SELECT _latin1 'a' 'b'`}, {sql: `SELECT _LATIN1'a'`}, {sql: `SELECT _utf8'a'`}, {sql: `SELECT _latin1 0x41`},
	{sql: `SELECT _binary b'1'`}, {sql: `SELECT _latin1 N'a'`}, {sql: `SELECT _latin1 "a"`}, {sql: `SELECT x'4142' 'c'`},
	{sql: `SELECT N 'a'`}, {sql: `SELECT N"a"`}, {sql: `SELECT _bla 'a'`}, {sql: `SELECT 'a' /* c */ 'b' -- c` + "\n 'c'"},
	{sql: `SELECT 'a' /*! 'b' */`}, {sql: `SELECT 'it''s'`}, {sql: `SELECT "say ""hi"""`}, {sql: `SELECT 'a\'b'`},
	{sql: `SELECT 'a\\'`}, {sql: `SELECT 'a\'`}, {sql: `SELECT 'a\\\'b'`}, {sql: `SELECT '\%\_\n\t\r\b\0\Z\x\"'`},
	{sql: "SELECT 'a\x00b'"}, {sql: `SELECT 'x\' AND 1=1 -- '`}, {sql: `SELECT 'x\' AND 1=1 -- '`, sqlMode: "NO_BACKSLASH_ESCAPES"},
	{sql: `SELECT 'a\b'`, sqlMode: "NO_BACKSLASH_ESCAPES"}, {sql: `SELECT 'a\'`, sqlMode: "NO_BACKSLASH_ESCAPES"},
	{sql: `SELECT "a" = 'a'`, sqlMode: "ANSI_QUOTES"}, {sql: `SELECT "user" FROM mysql.user LIMIT 1`, sqlMode: "ANSI_QUOTES"},
	{sql: `SELECT "a""b" FROM (SELECT 1 AS "a""b") t`, sqlMode: "ANSI_QUOTES"}, {sql: `SELECT 'a' "b"`, sqlMode: "ANSI_QUOTES"},
	{sql: `SELECT "a\"b"`, sqlMode: "ANSI_QUOTES"}, {sql: `SELECT X'4`}, {sql: `SELECT X'4G'`}, {sql: `SELECT b'2'`}, {sql: `SELECT X''`}, {sql: `SELECT B''`},
	// Quoted identifiers.
	{sql: "SELECT 1 AS `a``b`"}, {sql: "SELECT 1 AS `abc"}, {sql: "SELECT 1 AS `ab\x00c`"}, {sql: "SELECT 1 AS `a'b`"},
	// Comments.
	{sql: "SELECT 1--"}, {sql: "SELECT 1--\x01x"}, {sql: "SELECT 1 -- x"}, {sql: "SELECT 1 --x"}, {sql: "SELECT 1--1"},
	{sql: "SELECT 1#\x00+1"}, {sql: "SELECT 1 --\x0b+1"}, {sql: "SELECT 1 --\x7f+1"}, {sql: "SELECT 1 --\t+1"},
	{sql: "SELECT 1 # x\n+1"}, {sql: "SELECT 1 -- x\r\n+1"}, {sql: "SELECT 1\x0b+1"}, {sql: "SELECT 1\x0c+1"},
	{sql: "SELECT 1 /* /* */ + 1"}, {sql: "SELECT 1 /* x */ */"}, {sql: "SELECT 1 - -1"}, {sql: "SELECT 1 ---1"},
	// Operators.
	{sql: "SELECT 1 <=> 1"}, {sql: "SELECT 1<=>1"}, {sql: "SELECT 1 <> 2"}, {sql: "SELECT 1 != 2"}, {sql: "SELECT 1 !< 2"},
	{sql: "SELECT 1 << 2"}, {sql: "SELECT 8 >> 2"}, {sql: "SELECT 1 >= 2"}, {sql: "SELECT 1 =< 2"}, {sql: "SELECT 1 == 2"},
	{sql: "SELECT 1=>2"}, {sql: "SELECT 1 && 0"}, {sql: "SELECT 1 || 0"}, {sql: "SELECT 1 | 2"}, {sql: "SELECT 1 <<= 2"},
	{sql: `SELECT '{"a":1}'->'$.a'`}, {sql: "SELECT \\N"}, {sql: "SELECT \\n"}, {sql: "SELECT 1 <=>> 1"}, {sql: "SELECT ~1"},
	{sql: "SELECT 1 ? 2"}, {sql: "SELECT -1"}, {sql: "SELECT 5 DIV 2, 5 % 2"}, {sql: "SELECT 1 :=2"},
	// Variables.
	{sql: "SELECT @a.b:=5"}, {sql: "SELECT @`a`.b"}, {sql: "SELECT @ a"}, {sql: "SELECT @"}, {sql: "SELECT @a..b:=1"},
	{sql: "SELECT @@`version` IS NOT NULL"}, {sql: "SELECT @@ version"}, {sql: "SELECT @@session.`wait_timeout`"},
	{sql: "SELECT @@session.wait_timeout"}, {sql: "SELECT @@global.wait_timeout"}, {sql: "SELECT @@wait_timeout.x"},
	{sql: "SELECT @'a b':=1"}, {sql: `SELECT @"a":=1`}, {sql: `SELECT @"a":=1`, sqlMode: "ANSI_QUOTES"},
	{sql: "SELECT @a'x'"}, {sql: "SELECT @1x:=1"}, {sql: "SELECT @a$b:=1"}, {sql: "SELECT @@`wait_timeout`.5"},
	{sql: "SELECT @@wait_timeout..x"}, {sql: "SELECT @'a' 'b'"},
	// Identifiers with $, _, and bytes >= 0x80.
	{sql: "SELECT 1 AS a$b$"}, {sql: "SELECT 1 AS $"}, {sql: "SELECT $a"}, {sql: "SELECT 1 AS _"},
	{sql: "SELECT 1 AS a\xc3\xa9z"}, {sql: "SELECT 1 AS a\xc2\xa0z"}, {sql: "SELECT 1 AS \xe3\x80\x80"},
	{sql: "SELECT 1 --\xc2\xa0x"}, {sql: "SELECT '\xc3\xa9'"}, {sql: "SELECT 1 AS a\x80b"}, {sql: "SELECT @a\xc3\xa9b:=5"},
	{sql: "SELECT @\xc3\xa9:=5"}, {sql: "SELECT 1 --\x80x"},
	// Charset-specific whitespace and identifier bytes.
	{charset: "latin1", sql: "SELECT 1 --\xa0+1"}, {charset: "latin1", sql: "SELECT 1\xa0+1"}, {charset: "latin1", sql: "SELECT 1 AS a\xe9"},
	{charset: "latin1", sql: "SELECT 1 AS a\xd7b"}, {charset: "latin1", sql: "SELECT @a\xa0"}, {charset: "latin1", sql: "SELECT '\xa0--'"},
	{charset: "latin1", sql: "SELECT t.\xe9 FROM (SELECT 1 AS `\xe9`) t"}, {charset: "latin1", sql: "SELECT 1 \xa0AS x"},
	{charset: "cp1250", sql: "SELECT 1 --\x80+1"}, {charset: "hp8", sql: "SELECT 1 --\xa0+1"}, {charset: "cp852", sql: "SELECT 1\xff+1"},
	{charset: "macroman", sql: "SELECT 1 --\xcb+1"}, {charset: "koi8r", sql: "SELECT 1 AS \xc1\xc2"},
	{charset: "ascii", sql: "SELECT '\x80'"}, {charset: "binary", sql: "SELECT '\xff\\'"},
	{charset: "gb2312", sql: "SELECT '\xb0\xa1'"}, {charset: "ujis", sql: "SELECT 1 AS \xa4\xa2"},
	{charset: "euckr", sql: "SELECT '\x81A'"}, {charset: "eucjpms", sql: "SELECT '\xa4\xa2\\''"},
	// Keywords followed by '.'.
	{sql: "SELECT.5"}, {sql: "SELECT 1 FROM.5"},
}

func (s *server) testLexing(t *testing.T) { s.runCases(t, withoutExecCheck(lexingCases)) }

func withoutExecCheck(cs []lexCase) []lexCase {
	out := make([]lexCase, len(cs))
	for i, c := range cs {
		c.exec = -1
		out[i] = c
	}
	return out
}
