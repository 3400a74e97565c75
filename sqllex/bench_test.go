package sqllex

import (
	"strconv"
	"strings"
	"testing"
)

const pointSelect = "SELECT c FROM sbtest1 WHERE id=4242"

// insert2K is a ~2 KB sysbench-style multi-row INSERT.
var insert2K = func() string {
	var b strings.Builder
	b.WriteString("INSERT INTO sbtest1 (id, k, c, pad) VALUES ")
	for i := 0; b.Len() < 2048; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(" + strconv.Itoa(i) + ", " + strconv.Itoa(i*7919%100000) +
			", '68487932199-96439406143-93774651418-41631865787', '22195207048-70116052123')")
	}
	return b.String()
}()

func benchLexShape(b *testing.B, sql string) {
	b.SetBytes(int64(len(sql)))
	b.ReportAllocs()
	for b.Loop() {
		toks, err := Lex(sql, maria)
		if err != nil {
			b.Fatal(err)
		}
		Shape(sql, toks)
	}
}

// benchAppend is the allocation-free path: reused buffers, AppendTokens and
// AppendShape, and a map lookup by the key bytes.
func benchAppend(b *testing.B, sql string) {
	b.SetBytes(int64(len(sql)))
	b.ReportAllocs()
	var toks []Token
	var key []byte
	var lits []Literal
	cache := map[string]int{}
	for b.Loop() {
		var err error
		toks, err = AppendTokens(toks[:0], sql, maria)
		if err != nil {
			b.Fatal(err)
		}
		key, lits = AppendShape(key[:0], lits[:0], sql, toks)
		_ = cache[string(key)]
	}
}

func BenchmarkLexShapePointSelect(b *testing.B)       { benchLexShape(b, pointSelect) }
func BenchmarkLexShapeInsert2K(b *testing.B)          { benchLexShape(b, insert2K) }
func BenchmarkAppendLexShapePointSelect(b *testing.B) { benchAppend(b, pointSelect) }
func BenchmarkAppendLexShapeInsert2K(b *testing.B)    { benchAppend(b, insert2K) }
