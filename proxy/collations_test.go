package proxy

import (
	"slices"
	"testing"
)

// TestParseEnumDefinition: if it fails, the proxy misreads an ENUM column's
// definition and a cross-shard ORDER BY on it sorts in the wrong order.
func TestParseEnumDefinition(t *testing.T) {
	for _, tc := range []struct {
		def  string
		want []string
	}{
		{"enum('view','click','buy')", []string{"view", "click", "buy"}},
		{"ENUM('a b','it''s','')", []string{"a b", "it's", ""}},
		{"enum('x,y','z)')", []string{"x,y", "z)"}},
		{"set('a','b')", nil},
		{"varchar(8)", nil},
		{"enum('unterminated)", nil},
		{"enum('a' 'b')", nil},
	} {
		if got := parseEnumDefinition(tc.def); !slices.Equal(got, tc.want) {
			t.Errorf("parseEnumDefinition(%q) = %q, want %q", tc.def, got, tc.want)
		}
	}
}
