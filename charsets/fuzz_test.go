package charsets

import (
	"testing"
	"unicode/utf8"
)

// FuzzToUTF8 checks, for every allowed charset that is converted: the
// result is valid UTF-8, every ASCII byte of it maps back to the same byte
// of the input, offsets map monotonically, and the end maps to the end.
func FuzzToUTF8(f *testing.F) {
	f.Add("SELECT '\xe9\x80' \xb0\xa1 \x8f\xa1\xa1", uint8(0))
	f.Add("\x81A\x81\\'", uint8(3))
	names := []string{"latin1", "cp1250", "koi8r", "euckr", "gb2312", "eucjpms", "tis620", "hp8"}
	f.Fuzz(func(t *testing.T, in string, pick uint8) {
		cs := names[int(pick)%len(names)]
		out, offs, err := ToUTF8(in, cs)
		if err != nil {
			t.Fatal(err)
		}
		if !utf8.ValidString(out) {
			t.Fatalf("%s %q: invalid UTF-8 %q", cs, in, out)
		}
		if offs.Orig(len(out)) != len(in) {
			t.Fatalf("%s %q: end maps to %d", cs, in, offs.Orig(len(out)))
		}
		last := 0
		for u := 0; u <= len(out); u++ {
			o := offs.Orig(u)
			if o < last || o > len(in) {
				t.Fatalf("%s %q: Orig(%d) = %d after %d", cs, in, u, o, last)
			}
			last = o
			if u < len(out) && out[u] < 0x80 && in[o] != out[u] {
				t.Fatalf("%s %q: ASCII %q at %d maps to %q", cs, in, out[u], u, in[o])
			}
		}
	})
}
