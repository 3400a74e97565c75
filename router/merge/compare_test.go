package merge

import (
	"testing"

	"github.com/go-mysql-org/go-mysql/mysql"
)

// TestCollationCompare checks string comparison per collation against what
// MariaDB 10.11 answers for STRCMP. If it fails, ORDER BY, MIN/MAX and
// GROUP BY on string columns disagree with the backend's own order.
func TestCollationCompare(t *testing.T) {
	cases := []struct {
		coll uint16
		a, b string
		want int
	}{
		{45, "bob", "BOB", 0},
		{45, "Émile", "emile", 0},
		{45, "Émile", "zed", -1},
		{45, "Æ", "A", 1},             // Æ has its own weight
		{45, "ß", "s", 0},             // general_ci: ß = s
		{45, "Straße", "STRASSE", -1}, // ... so not = ss
		{45, "Łódź", "lodz", 1},       // Ł is not folded to L
		{45, "Ōsaka", "osaka", 0},     // Latin Extended-A folds
		{45, "ά", "Α", 0},             // Greek tonos folds
		{45, "a", "a   ", 0},          // PAD SPACE
		{45, "a\t", "a", -1},          // tab sorts below the pad space
		{45, "😀", "😎", 0},             // beyond the BMP all weigh 0xFFFD
		{1069, "a", "a ", -1},         // utf8mb4_general_nopad_ci
		{46, "a", "a ", 0},            // utf8mb4_bin is PAD SPACE
		{46, "B", "a", -1},            // byte order
		{63, "a", "a ", -1},           // binary has no padding
		{8, "\xe9", "E", 0},           // latin1 é = E
		{8, "\xc4", "Z", 1},           // latin1 Ä after Z
		{8, "\xdc", "Y", 0},           // latin1 Ü = Y in swedish_ci
		{224, "Straße", "STRASSE", 0}, // unicode_ci: ß = ss
		{224, "Émile", "emile ", 0},   // unicode_ci PAD SPACE, accents
		{255, "Émile", "emile ", -1},  // 0900_ai_ci is NO PAD
		{9999, "BOB", "bob", 0},       // unknown id: general_ci
	}
	for _, c := range cases {
		s := newStrCmp(lookupCollation(c.coll, false))
		got := s.compare([]byte(c.a), []byte(c.b))
		if got != c.want {
			t.Errorf("collation %d: compare(%q, %q) = %d, want %d", c.coll, c.a, c.b, got, c.want)
		}
		if rev := s.compare([]byte(c.b), []byte(c.a)); rev != -c.want {
			t.Errorf("collation %d: compare(%q, %q) = %d, want %d", c.coll, c.b, c.a, rev, -c.want)
		}
		ka, kb := s.appendKey(nil, []byte(c.a)), s.appendKey(nil, []byte(c.b))
		if (string(ka) == string(kb)) != (c.want == 0) {
			t.Errorf("collation %d: keys of %q and %q equal=%v, want %v", c.coll, c.a, c.b, string(ka) == string(kb), c.want == 0)
		}
	}
}

// TestGeneralWeightsTable spot-checks the generated general_ci table against
// values read from MariaDB 10.11 WEIGHT_STRING. If it fails, the table was
// regenerated wrongly or the lookup indexes it wrongly.
func TestGeneralWeightsTable(t *testing.T) {
	cases := map[rune]uint16{
		'a': 0x41, 'Z': 0x5A, 0xB5: 0x39C, 0xC5: 0x41, 0xC6: 0xC6, 0xD7: 0xD7, 0xDF: 0x53,
		0xE9: 0x45, 0xFF: 0x59, 0x110: 0x110, 0x141: 0x141, 0x17F: 0x53, 0x1C5: 0x1C4,
		0x3AC: 0x391, 0x450: 0x415, 0x451: 0x415, 0x0436: 0x0416, 0x1F600: 0xFFFD,
	}
	for r, want := range cases {
		if got := generalWeight(r); got != want {
			t.Errorf("weight(U+%04X) = %#x, want %#x", r, got, want)
		}
	}
}

// TestDecimalText checks exact comparison of DECIMAL text. If it fails,
// ORDER BY/MIN/MAX on DECIMAL columns order by text or by float.
func TestDecimalText(t *testing.T) {
	cases := []struct {
		a, b string
		want int
	}{
		{"10.5", "9.75", 1},
		{"-10.5", "-9.75", -1},
		{"0.10", "0.1", 0},
		{"-0.00", "0", 0},
		{"007", "7.000", 0},
		{"12345678901234567890.1", "12345678901234567890.09", 1},
		{"-1", "0.5", -1},
		{".5", "0.50", 0},
	}
	for _, c := range cases {
		got, ok := compareDecimalText([]byte(c.a), []byte(c.b))
		if !ok || got != c.want {
			t.Errorf("compare(%s, %s) = %d, %v; want %d", c.a, c.b, got, ok, c.want)
		}
	}
	if _, ok := compareDecimalText([]byte("1e5"), []byte("1")); ok {
		t.Error("1e5 accepted as decimal text")
	}
}

// TestNumericMixed checks comparisons across value types in one column
// (partial results of different shards may arrive as different types). If it
// fails, a signed and an unsigned value, or an integer and a decimal, order
// wrongly.
func TestNumericMixed(t *testing.T) {
	pairs := []struct {
		name string
		x, y mf
		want int
	}{
		{"-1 < max uint64", I(-1), U(1<<64 - 1), -1},
		{"uint 2^63 > int max", U(1 << 63), I(1<<63 - 1), 1},
		{"int 10 > decimal 9.99", I(10), S("9.99"), 1},
		{"decimal 10.5 > double 10.25", S("10.5"), F(10.25), 1},
		{"int 3 = double 3", I(3), F(3), 0},
		{"uint 7 = decimal 7.00", U(7), S("7.00"), 0},
	}
	c := column{kind: kindNumeric}
	for _, p := range pairs {
		if got := c.compare(&p.x, &p.y); got != p.want {
			t.Errorf("%s: got %d", p.name, got)
		}
		if got := c.compare(&p.y, &p.x); got != -p.want {
			t.Errorf("%s reversed: got %d", p.name, got)
		}
	}
}

// TestLatin1ColumnOverUTF8Connection: a latin1_swedish_ci column read over a
// utf8mb4 connection arrives as UTF-8; its values must weigh by character,
// as the server's ORDER BY does ('Å' after 'Z', 'É' equal to 'E'). If it
// fails, merged ORDER BY on such columns disagrees with one server.
func TestLatin1ColumnOverUTF8Connection(t *testing.T) {
	f := &mysql.Field{Type: mysql.MYSQL_TYPE_VAR_STRING, Charset: 45}
	c := newColumn(f, 8)
	str := func(s string) *mysql.FieldValue {
		v := mysql.NewFieldValue(mysql.FieldValueTypeString, 0, []byte(s))
		return &v
	}
	for _, tc := range []struct {
		a, b string
		want int
	}{{"Ålice", "zed", 1}, {"Émile", "emile", 0}, {"Émile", "Eve", -1}, {"alice", "BOB", -1}} {
		if got := c.compare(str(tc.a), str(tc.b)); sign(got) != tc.want {
			t.Errorf("compare(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func sign(x int) int {
	switch {
	case x < 0:
		return -1
	case x > 0:
		return 1
	}
	return 0
}
