package charsets_test

import (
	"testing"

	"github.com/shardline/shardline/charsets"
	"github.com/shardline/shardline/sqllex"
)

// TestAllowedCharsetsAreLexed checks that the proxy's lexer models every
// charset a client may use: a charset accepted here but unknown to sqllex
// would be read with the wrong whitespace and identifier bytes.
func TestAllowedCharsetsAreLexed(t *testing.T) {
	n := 0
	for _, c := range charsets.Charsets() {
		if charsets.ClientCharsetError(c.Name) != nil {
			continue
		}
		n++
		if sqllex.ClientCharset(c.Name) == nil {
			t.Errorf("%s is allowed but sqllex does not model it", c.Name)
		}
	}
	if n < 20 {
		t.Errorf("only %d charsets allowed", n)
	}
}
