package charsets

import (
	"bytes"
	"database/sql"
	"encoding/hex"
	"flag"
	"fmt"
	"go/format"
	"os"
	"sort"
	"testing"
	"unicode/utf8"

	_ "github.com/go-sql-driver/mysql"
	"golang.org/x/text/encoding"

	"github.com/shardline/shardline/internal/mariadbtest"
)

var update = flag.Bool("update", false, "rewrite tables_gen.go from the live server")

// TestMariaDB proves this package against a real mariadbd: the committed
// tables equal what the server reports, and every decoder maps every
// character as the server's CONVERT does. Without mariadbd it skips, or
// fails when CI=true.
func TestMariaDB(t *testing.T) {
	srv := mariadbtest.StartN(t, 1)[0]
	db, err := sql.Open("mysql", srv.DSN("mysql"))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(2)
	t.Cleanup(func() { db.Close() })
	t.Run("Tables", func(t *testing.T) { testTables(t, db) })
	t.Run("Decoders", func(t *testing.T) { testDecoders(t, db) })
	t.Run("ToUTF8", func(t *testing.T) { testToUTF8(t, db) })
	t.Run("ClientCharsets", func(t *testing.T) { testClientCharsets(t, db) })
}

func query(t *testing.T, db *sql.DB, q string, args ...any) [][]string {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = v.String
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// testTables derives tables_gen.go from the server and compares it with the
// committed file (or rewrites it with -update).
func testTables(t *testing.T, db *sql.DB) {
	var cols []Collation
	for _, r := range query(t, db, `SELECT ID, FULL_COLLATION_NAME, CHARACTER_SET_NAME, IS_DEFAULT
		FROM information_schema.COLLATION_CHARACTER_SET_APPLICABILITY ORDER BY ID`) {
		var id uint16
		fmt.Sscan(r[0], &id)
		c := Collation{ID: id, Name: r[1], Charset: r[2], Default: r[3] == "Yes"}
		pad := query(t, db, fmt.Sprintf("SELECT CONVERT('a' USING %[1]s) COLLATE `%[2]s` = CONVERT('a ' USING %[1]s) COLLATE `%[2]s`", c.Charset, c.Name))
		c.PadSpace = pad[0][0] == "1"
		cols = append(cols, c)
	}
	var sets []Charset
	single := map[string]*[256]rune{}
	exc := map[string]map[uint32]rune{}
	for _, r := range query(t, db, "SELECT CHARACTER_SET_NAME, DEFAULT_COLLATE_NAME, DESCRIPTION, MAXLEN FROM information_schema.CHARACTER_SETS ORDER BY 1") {
		cs := Charset{Name: r[0], DefaultCollation: r[1], Description: r[2]}
		fmt.Sscan(r[3], &cs.MaxLen)
		cs.LowerASCII = query(t, db, fmt.Sprintf(`SELECT COUNT(*) FROM seq_0_to_127 WHERE
			HEX(CONVERT(CONVERT(UNHEX(LPAD(HEX(seq),2,'0')) USING %s) USING utf32)) <> LPAD(HEX(seq),8,'0')`, cs.Name))[0][0] == "0"
		if cs.MaxLen > 1 {
			cs.MultibyteASCII = multibyteASCII(t, db, cs.Name)
		} else if cs.Name != "binary" {
			single[cs.Name] = serverSingleByte(t, db, cs.Name)
		}
		if enc := multibyte[cs.Name]; enc != nil {
			exc[cs.Name] = multibyteExceptions(t, db, cs.Name, enc.NewDecoder())
		}
		sets = append(sets, cs)
	}
	src := renderTables(cols, sets, single, exc)
	if *update {
		if err := os.WriteFile("tables_gen.go", src, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if old, err := os.ReadFile("tables_gen.go"); err != nil || !bytes.Equal(old, src) {
		os.WriteFile("tables_gen.go.server", src, 0o644)
		t.Errorf("tables_gen.go differs from the server (written to tables_gen.go.server); rerun with -update")
	}
}

// multibyteASCII returns the bytes < 0x80 that occur in a 2-byte character
// of cs, or in a 3-byte one starting with 0x8F (EUC-JP's JIS X 0212).
// UTF-8's multibyte characters have only bytes >= 0x80 by definition.
func multibyteASCII(t *testing.T, db *sql.DB, cs string) string {
	rows := query(t, db, fmt.Sprintf(`SELECT DISTINCT b FROM (
		SELECT IF(a.seq < 128, a.seq, b.seq) b, UNHEX(CONCAT(LPAD(HEX(a.seq),2,'0'), LPAD(HEX(b.seq),2,'0'))) x
		FROM seq_0_to_255 a, seq_0_to_255 b WHERE a.seq < 128 OR b.seq < 128
		UNION ALL
		SELECT IF(a.seq < 128, a.seq, b.seq), UNHEX(CONCAT('8F', LPAD(HEX(a.seq),2,'0'), LPAD(HEX(b.seq),2,'0')))
		FROM seq_0_to_255 a, seq_0_to_255 b WHERE (a.seq < 128) <> (b.seq < 128)
		) t WHERE CHAR_LENGTH(CONVERT(x USING %s)) = 1 ORDER BY 1`, cs))
	var out []byte
	for _, r := range rows {
		var b int
		fmt.Sscan(r[0], &b)
		out = append(out, byte(b))
	}
	return string(out)
}

// serverSingleByte returns what CONVERT(... USING utf8mb4) makes of each
// byte of cs, with '?' for a byte other than '?' meaning unconvertible
// (U+FFFD).
func serverSingleByte(t *testing.T, db *sql.DB, cs string) *[256]rune {
	var tab [256]rune
	for _, r := range query(t, db, fmt.Sprintf(`SELECT seq, HEX(CONVERT(CONVERT(UNHEX(LPAD(HEX(seq),2,'0')) USING %s) USING utf8mb4))
		FROM seq_0_to_255`, cs)) {
		var b int
		fmt.Sscan(r[0], &b)
		tab[b] = serverRune(t, r[1], b != '?')
	}
	return &tab
}

func serverRune(t *testing.T, hexUTF8 string, questionIsUnmapped bool) rune {
	u, err := hex.DecodeString(hexUTF8)
	if err != nil {
		t.Fatal(err)
	}
	r, n := utf8.DecodeRune(u)
	if n != len(u) || r == '?' && questionIsUnmapped {
		return utf8.RuneError
	}
	return r
}

// serverMultibyte returns every multibyte character of cs (2 bytes, and 3
// bytes led by 0x8F) and what CONVERT(... USING utf8mb4) makes of it.
func serverMultibyte(t *testing.T, db *sql.DB, cs string) map[uint32]rune {
	out := map[uint32]rune{}
	rows := query(t, db, fmt.Sprintf(`SELECT HEX(x), HEX(CONVERT(CONVERT(x USING %[1]s) USING utf8mb4)) FROM (
		SELECT UNHEX(CONCAT(HEX(a.seq), LPAD(HEX(b.seq),2,'0'))) x FROM seq_128_to_255 a, seq_0_to_255 b
		UNION ALL
		SELECT UNHEX(CONCAT('8F', HEX(a.seq), HEX(b.seq))) FROM seq_128_to_255 a, seq_128_to_255 b
		) t WHERE CHAR_LENGTH(CONVERT(x USING %[1]s)) = 1`, cs))
	for _, r := range rows {
		var seq uint32
		fmt.Sscanf(r[0], "%x", &seq)
		out[seq] = serverRune(t, r[1], true)
	}
	return out
}

// multibyteExceptions compares the server with x/text on every 2-byte
// sequence with a lead byte >= 0x80 and every 3-byte one led by 0x8F.
func multibyteExceptions(t *testing.T, db *sql.DB, cs string, dec *encoding.Decoder) map[uint32]rune {
	server := serverMultibyte(t, db, cs)
	exc := map[uint32]rune{}
	check := func(seq uint32) {
		want, valid := server[seq]
		got, ok := xtextDecode(dec, seqBytes(seq))
		switch {
		case valid && (!ok && want != utf8.RuneError || ok && got != want):
			exc[seq] = want
		case valid && !ok:
			exc[seq] = utf8.RuneError // a character the server cannot convert
		case !valid && ok:
			exc[seq] = notAChar
		}
	}
	for a := uint32(0x80); a <= 0xff; a++ {
		for b := uint32(0); b <= 0xff; b++ {
			check(a<<8 | b)
			if a != 0x8f || b < 0x80 {
				continue
			}
			for c := uint32(0x80); c <= 0xff; c++ {
				check(0x8f0000 | b<<8 | c)
			}
		}
	}
	return exc
}

func seqBytes(seq uint32) []byte {
	if seq > 0xffff {
		return []byte{byte(seq >> 16), byte(seq >> 8), byte(seq)}
	}
	return []byte{byte(seq >> 8), byte(seq)}
}

func renderTables(cols []Collation, sets []Charset, single map[string]*[256]rune, exc map[string]map[uint32]rune) []byte {
	var b bytes.Buffer
	b.WriteString("// Code generated by go test -run TestMariaDB/Tables -update; DO NOT EDIT.\n\npackage charsets\n\n")
	b.WriteString("// collations is information_schema.COLLATION_CHARACTER_SET_APPLICABILITY,\n// with PAD SPACE as the server compares 'a' and 'a '.\n")
	b.WriteString("var collations = []Collation{\n")
	for _, c := range cols {
		fmt.Fprintf(&b, "{%d, %q, %q, %v, %v},\n", c.ID, c.Name, c.Charset, c.Default, c.PadSpace)
	}
	b.WriteString("}\n\n// charsetList is information_schema.CHARACTER_SETS, with how bytes < 0x80 convert.\n")
	b.WriteString("var charsetList = []Charset{\n")
	for _, c := range sets {
		fmt.Fprintf(&b, "{%q, %q, %q, %d, %v, %q},\n", c.Name, c.DefaultCollation, c.Description, c.MaxLen, c.LowerASCII, c.MultibyteASCII)
	}
	b.WriteString("}\n\n// singleByte is CONVERT(byte USING utf8mb4) per single-byte charset (U+FFFD: '?').\n")
	b.WriteString("var singleByte = map[string]*[256]rune{\n")
	for _, name := range sortedKeys(single) {
		fmt.Fprintf(&b, "%q: {", name)
		for i, r := range single[name] {
			if i%16 == 0 {
				b.WriteString("\n")
			}
			fmt.Fprintf(&b, "%#04x, ", r)
		}
		b.WriteString("\n},\n")
	}
	b.WriteString("}\n\n// exceptions are the characters whose conversion by the server differs\n// from golang.org/x/text's decoder (U+FFFD: the server answers '?').\n")
	b.WriteString("var exceptions = map[string]map[uint32]rune{\n")
	for _, name := range sortedKeys(exc) {
		fmt.Fprintf(&b, "%q: {", name)
		keys := make([]uint32, 0, len(exc[name]))
		for k := range exc[name] {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
		for i, k := range keys {
			if i%6 == 0 {
				b.WriteString("\n")
			}
			fmt.Fprintf(&b, "%#x: %#04x, ", k, exc[name][k])
		}
		b.WriteString("\n},\n")
	}
	b.WriteString("}\n")
	src, err := format.Source(b.Bytes())
	if err != nil {
		panic(err)
	}
	return src
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
