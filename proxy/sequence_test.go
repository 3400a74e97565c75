package proxy_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/shardline/shardline/proxy"
)

// memAllocator is an in-memory BlockAllocator with the contract of the Raft
// one (blocks never overlap) that counts its calls.
type memAllocator struct {
	mu    sync.Mutex
	next  map[string]uint64
	calls atomic.Int64
	fail  atomic.Bool
}

func (m *memAllocator) AllocateBlock(_ context.Context, name string, size uint64) (uint64, uint64, error) {
	m.calls.Add(1)
	if m.fail.Load() {
		return 0, 0, errors.New("no quorum")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.next == nil {
		m.next = map[string]uint64{}
	}
	first := max(m.next[name], 1)
	m.next[name] = first + size
	return first, first + size - 1, nil
}

// TestSequencesBlocks: values come from reserved blocks, n values are
// consecutive, a request larger than the rest of a block gets a fresh
// block, and sequences are independent. If it fails, multi-row INSERTs get
// non-consecutive ids (drivers compute ids as LAST_INSERT_ID()+i) or two
// sequences share values.
func TestSequencesBlocks(t *testing.T) {
	a := &memAllocator{}
	q := proxy.NewSequences(a, 10)
	ctx := context.Background()
	steps := []struct {
		name string
		n    uint64
		want uint64
	}{
		{"s.a", 1, 1},
		{"s.a", 3, 2},  // 2,3,4
		{"s.b", 2, 1},  // own counter
		{"s.a", 5, 5},  // 5..9
		{"s.a", 4, 11}, // 10 left only: a new block (the prefetched spare 11..20)
		{"s.a", 25, 0}, // larger than a block: a block of its own, after the spare
	}
	var last uint64
	for i, s := range steps {
		got, err := q.Next(ctx, s.name, s.n)
		if err != nil {
			t.Fatal(err)
		}
		if s.want != 0 && got != s.want {
			t.Fatalf("step %d: Next(%s, %d) = %d, want %d", i, s.name, s.n, got, s.want)
		}
		if s.name == "s.a" {
			if got <= last {
				t.Fatalf("step %d: %d after %d: values went back", i, got, last)
			}
			last = got + s.n - 1
		}
	}
	if _, err := q.Next(ctx, "s.a", 0); err == nil {
		t.Fatal("zero values: want an error")
	}
}

// TestSequencesConcurrent: many goroutines on two caches over one
// allocator (two nodes) never get the same value. If it fails, concurrent
// INSERTs get duplicate ids.
func TestSequencesConcurrent(t *testing.T) {
	a := &memAllocator{}
	nodes := []*proxy.Sequences{proxy.NewSequences(a, 7), proxy.NewSequences(a, 7)}
	var mu sync.Mutex
	seen := map[uint64]bool{}
	var wg sync.WaitGroup
	var total atomic.Int64
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			q := nodes[g%2]
			for i := 0; i < 200; i++ {
				n := uint64(1 + i%3)
				first, err := q.Next(context.Background(), "app.t", n)
				if err != nil {
					t.Error(err)
					return
				}
				total.Add(int64(n))
				mu.Lock()
				for v := first; v < first+n; v++ {
					if seen[v] {
						t.Errorf("value %d handed out twice", v)
					}
					seen[v] = true
				}
				mu.Unlock()
			}
		}(g)
	}
	wg.Wait()
	if int64(len(seen)) != total.Load() {
		t.Fatalf("%d distinct values, %d handed out", len(seen), total.Load())
	}
}

// TestSequencesAllocatorError: a failed reservation is returned and the
// next call tries again. If it fails, a Raft hiccup either hands out values
// of no block or wedges the sequence.
func TestSequencesAllocatorError(t *testing.T) {
	a := &memAllocator{}
	a.fail.Store(true)
	q := proxy.NewSequences(a, 5)
	if _, err := q.Next(context.Background(), "app.t", 1); err == nil {
		t.Fatal("want the allocator's error")
	}
	a.fail.Store(false)
	if v, err := q.Next(context.Background(), "app.t", 1); err != nil || v != 1 {
		t.Fatalf("after recovery: %d, %v; want 1", v, err)
	}
}

// BenchmarkSequencesNext measures taking one value from the block cache
// (block 1000, an in-memory allocator): the per-INSERT cost on the proxy
// outside Raft.
func BenchmarkSequencesNext(b *testing.B) {
	q := proxy.NewSequences(&memAllocator{}, 1000)
	ctx := context.Background()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := q.Next(ctx, "app.t", 1); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestSequencesForget: after Forget the cached block (and spare) is not
// used again. If it fails, an INSERT that collided with ids loaded before
// an AdvanceSequence retries with the same stale values.
func TestSequencesForget(t *testing.T) {
	a := &memAllocator{}
	q := proxy.NewSequences(a, 100)
	ctx := context.Background()
	if v, _ := q.Next(ctx, "app.t", 1); v != 1 {
		t.Fatalf("first value %d", v)
	}
	q.Forget("app.t")
	v, err := q.Next(ctx, "app.t", 1)
	if err != nil {
		t.Fatal(err)
	}
	if v <= 100 {
		t.Fatalf("after Forget got %d from the forgotten block [1,100]", v)
	}
}

// floorAllocator is a memAllocator whose sequences can be advanced, like
// metaraft's (AdvanceSequence moves the counter and records the floor).
type floorAllocator struct {
	memAllocator
	floors sync.Map // name → uint64
}

func (f *floorAllocator) advance(name string, atLeast uint64) {
	f.mu.Lock()
	if f.next == nil {
		f.next = map[string]uint64{}
	}
	f.next[name] = max(f.next[name], atLeast)
	f.mu.Unlock()
	f.floors.Store(name, atLeast)
}

func (f *floorAllocator) SequenceFloor(name string) uint64 {
	v, _ := f.floors.Load(name)
	u, _ := v.(uint64)
	return u
}

// TestSequencesFloor: after a sequence is advanced, no node hands out a
// value below the floor from a block it cached earlier; values of its block
// at or above the floor are still used. If it fails, rows loaded with
// explicit ids (the reason to advance) collide with generated ones.
func TestSequencesFloor(t *testing.T) {
	a := &floorAllocator{}
	q := proxy.NewSequences(a, 100)
	ctx := context.Background()
	next := func() uint64 {
		t.Helper()
		v, err := q.Next(ctx, "app.t", 1)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for i := uint64(1); i <= 3; i++ {
		if v := next(); v != i {
			t.Fatalf("value %d, want %d", v, i)
		}
	}
	a.advance("app.t", 50) // inside the cached block [1,100]
	if v := next(); v != 50 {
		t.Fatalf("after advancing to 50 inside the cached block: %d, want 50", v)
	}
	a.advance("app.t", 5000) // past the cached block and any spare
	if v := next(); v < 5000 {
		t.Fatalf("after advancing to 5000: %d from a block cached before", v)
	}
}
