package proxy_test

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// TestStreamsLargeResult reads a 1,000,000-row result (≈110 MB of row data)
// through the proxy, in the text and the binary protocol, while sampling the
// heap of this process (which runs the proxy). If the proxy buffered the
// result, the heap would grow by the size of the result; it must stay small.
func TestStreamsLargeResult(t *testing.T) {
	if testing.Short() {
		t.Skip("large result: skipped in -short")
	}
	e := startEnv(t, 1, passThroughMap, nil)
	direct := e.direct(0, "app")
	mustExec(t, direct, `CREATE TABLE big (id INT PRIMARY KEY, pad CHAR(100)) ENGINE=InnoDB`)
	mustExec(t, direct, `INSERT INTO big SELECT seq, REPEAT('x', 100) FROM seq_1_to_1000000`)
	for _, prepared := range []bool{false, true} {
		db := e.db(!prepared)
		runtime.GC()
		var base runtime.MemStats
		runtime.ReadMemStats(&base)
		var peak atomic.Uint64
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			var ms runtime.MemStats
			for {
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
					runtime.ReadMemStats(&ms)
					if ms.HeapInuse > peak.Load() {
						peak.Store(ms.HeapInuse)
					}
				}
			}
		}()
		query, args := "SELECT id, pad FROM big", []any{}
		if prepared {
			query, args = "SELECT id, pad FROM big WHERE id > ?", []any{0}
		}
		rows, err := db.Query(query, args...)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		var id int
		var pad []byte
		for rows.Next() {
			if err := rows.Scan(&id, &pad); err != nil {
				t.Fatal(err)
			}
			n++
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		close(stop)
		<-done
		if n != 1_000_000 {
			t.Fatalf("got %d rows", n)
		}
		growth := int64(peak.Load()) - int64(base.HeapInuse)
		t.Logf("prepared=%v: 1,000,000 rows streamed; heap in use before %d KiB, peak %d KiB (growth %d KiB)",
			prepared, base.HeapInuse>>10, peak.Load()>>10, growth>>10)
		// The client side (go-sql-driver) shares this heap; both stream, so
		// the whole process stays far below the 110 MB the rows take.
		if growth > 32<<20 {
			t.Fatalf("heap grew by %d MiB while streaming: the result is being buffered", growth>>20)
		}
	}
}
