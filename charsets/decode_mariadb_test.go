package charsets

import (
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/go-mysql-org/go-mysql/mysql"
	gomysql "github.com/go-sql-driver/mysql"
)

// allowed returns the charsets a client may use.
func allowed() []string {
	var out []string
	for _, c := range Charsets() {
		if ClientCharsetError(c.Name) == nil {
			out = append(out, c.Name)
		}
	}
	return out
}

// testDecoders compares every decoder with the server's CONVERT(... USING
// utf8mb4): all 256 bytes of each single-byte charset, every 2-byte (and
// 0x8F-led 3-byte) character of each multibyte one.
func testDecoders(t *testing.T, db *sql.DB) {
	for _, cs := range allowed() {
		dec, err := Decoder(cs)
		if err != nil {
			t.Fatalf("%s: %v", cs, err)
		}
		want := map[uint32]rune{}
		switch {
		case singleByte[cs] != nil:
			for b, r := range serverSingleByte(t, db, cs) {
				want[uint32(b)] = r
			}
		case multibyte[cs] != nil:
			want = serverMultibyte(t, db, cs)
		default:
			continue // utf8mb3, utf8mb4, binary: the text as it is
		}
		bad := 0
		for seq, r := range want {
			if seq >= 0x80 && r < 0x80 {
				t.Errorf("%s: the server converts %X to ASCII %q, which the proxy's parser would read as SQL", cs, seq, r)
			}
			in := seqBytes(seq)
			if seq < 0x100 {
				in = []byte{byte(seq)}
			}
			got, err := dec.Bytes(in)
			if err != nil || string(got) != string(utf8.AppendRune(nil, r)) {
				if bad++; bad <= 5 {
					t.Errorf("%s: %X decodes to %q, server %q", cs, in, got, string(r))
				}
			}
		}
		if bad > 5 {
			t.Errorf("%s: %d characters decode differently", cs, bad)
		}
	}
}

// testToUTF8 converts random texts of each allowed charset's characters on
// the server and with ToUTF8, and checks the offset map.
func testToUTF8(t *testing.T, db *sql.DB) {
	rng := rand.New(rand.NewSource(7))
	for _, cs := range allowed() {
		chars := validChars(t, db, cs)
		for i := 0; i < 20; i++ {
			var b strings.Builder
			for j := 0; j < 30; j++ {
				if rng.Intn(3) == 0 {
					b.WriteByte(byte(' ' + rng.Intn(95)))
				} else {
					b.WriteString(chars[rng.Intn(len(chars))])
				}
			}
			in := b.String()
			got, offs, err := ToUTF8(in, cs)
			if err != nil {
				t.Fatalf("%s: %v", cs, err)
			}
			var want string
			if err := db.QueryRow(fmt.Sprintf("SELECT CONVERT(CONVERT(UNHEX(?) USING %s) USING utf8mb4)", cs), hex.EncodeToString([]byte(in))).Scan(&want); err != nil {
				t.Fatal(err)
			}
			if identity[cs] {
				want = in
			}
			if got != want {
				t.Errorf("%s: %q: ToUTF8 %q, server %q", cs, in, got, want)
			}
			checkOffsets(t, cs, in, got, offs)
		}
	}
}

// validChars returns characters of cs that the server converts to a
// character other than '?'.
func validChars(t *testing.T, db *sql.DB, cs string) []string {
	var out []string
	if singleByte[cs] != nil {
		for b, r := range singleByte[cs] {
			if b >= 0x80 && r != utf8.RuneError {
				out = append(out, string([]byte{byte(b)}))
			}
		}
	} else if multibyte[cs] != nil {
		for seq, r := range serverMultibyte(t, db, cs) {
			if r != utf8.RuneError {
				out = append(out, string(seqBytes(seq)))
			}
		}
	} else {
		out = []string{"é", "€", "😀", "\u00a0"}
	}
	sort.Strings(out)
	if len(out) == 0 {
		out = []string{"a"}
	}
	return out
}

// checkOffsets verifies that every ASCII byte of the UTF-8 text maps back
// to the same byte of the original, and the end to the end.
func checkOffsets(t *testing.T, cs, in, out string, offs *Offsets) {
	if offs.Orig(len(out)) != len(in) {
		t.Errorf("%s: end maps to %d, want %d", cs, offs.Orig(len(out)), len(in))
	}
	for u := 0; u < len(out); u++ {
		if out[u] < 0x80 {
			if o := offs.Orig(u); o >= len(in) || in[o] != out[u] {
				t.Errorf("%s: %q: offset %d (%q) maps to %d", cs, in, u, out[u], o)
				return
			}
		}
	}
}

// testClientCharsets checks the refusals against the server: the charsets
// refused because MariaDB refuses them get the server's own error, and
// every other charset is one the server accepts for SET NAMES.
func testClientCharsets(t *testing.T, db *sql.DB) {
	for _, c := range Charsets() {
		_, serverErr := db.Exec("SET NAMES " + c.Name)
		ours := ClientCharsetError(c.Name)
		if notClientCharsets[c.Name] {
			var se *gomysql.MySQLError
			var me *mysql.MyError
			if !errors.As(serverErr, &se) || !errors.As(ours, &me) || se.Number != me.Code || se.SQLState != [5]byte([]byte(me.State)) {
				t.Errorf("%s: server %v, ours %v", c.Name, serverErr, ours)
			}
			continue
		}
		if serverErr != nil {
			t.Errorf("%s: the server refuses it: %v", c.Name, serverErr)
		}
	}
	_, serverErr := db.Exec("SET NAMES nosuch")
	var se *gomysql.MySQLError
	var me *mysql.MyError
	if !errors.As(serverErr, &se) || !errors.As(ClientCharsetError("nosuch"), &me) || se.Number != me.Code || se.Message != me.Message {
		t.Errorf("unknown charset: server %v, ours %v", serverErr, ClientCharsetError("nosuch"))
	}
}
