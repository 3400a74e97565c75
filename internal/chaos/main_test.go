package chaos

import (
	"os"
	"testing"
)

// TestMain removes the shardline binary built for the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}
