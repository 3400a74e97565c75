package proxy

import "testing"

// TestValidHandshakeResponse: well-formed responses pass, truncated or
// unterminated ones are refused without panicking. If it fails, a
// malformed handshake reaches go-mysql's parser, which panics on it.
func TestValidHandshakeResponse(t *testing.T) {
	const caps41 = "\x08\xa2\x3a\x00" // PROTOCOL_41 | SECURE | PLUGIN_AUTH | LENENC | CONNECT_ATTRS | CONNECT_WITH_DB
	head := caps41 + "\x00\x00\x00\x01" + "\x2d" + string(make([]byte, 23))
	for _, tc := range []struct {
		name string
		p    string
		ok   bool
	}{
		{"complete", head + "app\x00" + "\x14" + string(make([]byte, 20)) + "db\x00" + "mysql_native_password\x00" + "\x03\x01a\x00", true},
		{"ssl request", "\x00\x0a\x00\x00" + "\x00\x00\x00\x01\x2d" + string(make([]byte, 23)), true},
		{"short", "\x85\xa6\xff\x01", false},
		{"no user terminator", head + "app", false},
		{"auth length past the end", head + "app\x00\x14abc", false},
		{"8-byte length cut short", head + "\x00\xfe", false},
		{"no plugin terminator", head + "app\x00\x00db\x00mysql", false},
		{"attributes past the end", head + "app\x00\x00db\x00p\x00\x09\x03ab", false},
	} {
		if got := validHandshakeResponse([]byte(tc.p)); got != tc.ok {
			t.Errorf("%s: valid = %v, want %v", tc.name, got, tc.ok)
		}
	}
}
