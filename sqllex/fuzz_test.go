package sqllex

import (
	"bytes"
	"testing"
)

// FuzzLex checks, for any input and mode: Lex never panics; its tokens
// cover the input contiguously without overlap (also when it fails, up to
// the error); ParseText keeps the length and the newlines; SplitStatements
// returns ordered ranges inside the text; and when the input is exactly one
// string literal, its value round-trips through AppendQuotedString.
func FuzzLex(f *testing.F) {
	for _, c := range lexingCases {
		f.Add(c.sql, uint8(0))
	}
	for _, s := range lexErrorCases {
		f.Add(s, uint8(1))
	}
	for _, s := range []string{`'x\' OR 1=1 -- '`, "'\xbf\\' OR 1=1 -- '", "/*!80000 OR 1=1 */", "'a' 'b'", `"a\"b"`} {
		f.Add(s, uint8(3))
	}
	f.Fuzz(func(t *testing.T, sql string, flags uint8) {
		m := Mode{ServerVersion: 101119, MariaDB: flags&8 == 0, ANSIQuotes: flags&1 != 0, NoBackslashEscapes: flags&2 != 0}
		if flags&4 != 0 {
			m.Charset = ClientCharset("latin1")
		}
		toks, err := Lex(sql, m)
		pos := 0
		for _, tk := range toks {
			if tk.Start != pos || tk.End <= tk.Start {
				t.Fatalf("%q: token %v does not start at %d", sql, tk, pos)
			}
			pos = tk.End
		}
		if err == nil && pos != len(sql) {
			t.Fatalf("%q: tokens end at %d of %d", sql, pos, len(sql))
		}
		if err != nil && err.(*Error).Pos > len(sql) {
			t.Fatalf("%q: error position %v", sql, err)
		}
		pt := ParseText(sql, toks)
		if len(pt) != len(sql) || bytes.Count([]byte(pt), []byte("\n")) != bytes.Count([]byte(sql), []byte("\n")) {
			t.Fatalf("%q: ParseText %q", sql, pt)
		}
		last := 0
		for _, r := range SplitStatements(sql, m) {
			if r[0] < last || r[1] < r[0] || r[1] > len(sql) {
				t.Fatalf("%q: split ranges %v", sql, SplitStatements(sql, m))
			}
			last = r[1]
		}
		Shape(sql, toks)
		if err == nil && len(toks) == 1 && toks[0].Kind == String {
			v := StringValue(sql, toks[0], m)
			q := string(AppendQuotedString(nil, v, m))
			qt, qerr := Lex(q, m)
			if qerr != nil || len(qt) != 1 || qt[0].Kind != String {
				t.Fatalf("%q: value %q quoted as %q lexes as %v, %v", sql, v, q, qt, qerr)
			}
			if v2 := StringValue(q, qt[0], m); !bytes.Equal(v, v2) {
				t.Fatalf("%q: value %q quoted as %q reads back as %q", sql, v, q, v2)
			}
		}
	})
}
