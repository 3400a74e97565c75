package mariadbtest

import (
	"fmt"
	"os"
	"sync"
	"testing"
)

// Require skips the test when mariadbd is not installed, or fails it when
// CI=true (CI must install MariaDB; a skipped suite would prove nothing).
func Require(t testing.TB) {
	t.Helper()
	if _, err := findBinaries(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%v (CI=true: .ci/run must install mariadb-server)", err)
		}
		t.Skipf("%v; install mariadb-server to run this test", err)
	}
}

// StartN starts n servers named db0..db{n-1} in parallel, each with its own
// temp datadir and free port. t.Cleanup kills them and removes their
// datadirs (killing is fine: the data is thrown away). Stop keeps the datadir
// until then, so tests may Stop/Kill and Start a server again.
func StartN(t testing.TB, n int) []*Server {
	t.Helper()
	Require(t)
	base, err := os.MkdirTemp("", "mariadbtest-")
	if err != nil {
		t.Fatalf("mariadbtest: %v", err)
	}
	servers := make([]*Server, n)
	t.Cleanup(func() {
		for _, s := range servers {
			if s == nil {
				continue
			}
			_ = s.Kill()
			if t.Failed() {
				t.Logf("mariadbtest: tail of %s:\n%s", s.errorLog, tail(readFrom(s.errorLog, 0), 15))
			}
		}
		os.RemoveAll(base)
	})
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			servers[i], errs[i] = StartServer(Options{Name: fmt.Sprintf("db%d", i), BaseDir: base, Keep: true})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return servers
}

// FreeAddr returns a 127.0.0.1 address whose port was free just now and has
// not been handed out before in this process (for Raft, admin and proxy
// listeners in tests).
func FreeAddr(t testing.TB) string {
	t.Helper()
	p, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("127.0.0.1:%d", p)
}
