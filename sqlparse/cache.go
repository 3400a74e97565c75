package sqlparse

import (
	"hash/maphash"
	"sync"
)

// LRU is a bounded, goroutine-safe least-recently-used cache keyed by
// string. It is split into shards, each with its own lock, so concurrent
// sessions rarely contend.
type LRU[V any] struct {
	seed   maphash.Seed
	shards []lruShard[V]
	// admitting: a key is stored on its second Put (see NewAdmittingLRU).
	admitting bool
}

type lruShard[V any] struct {
	mu    sync.Mutex
	cap   int
	items map[string]*lruEntry[V]
	head  lruEntry[V] // sentinel: head.next is the most recent
	// seen holds hashes of keys Put once and not stored (admitting caches
	// only): direct-mapped, a newer key overwrites an older one.
	seen []uint64
}

type lruEntry[V any] struct {
	key        string
	val        V
	prev, next *lruEntry[V]
}

const lruShards = 16

// NewLRU returns a cache holding about capacity entries (at least one per
// shard).
func NewLRU[V any](capacity int) *LRU[V] {
	per := capacity / lruShards
	if per < 1 {
		per = 1
	}
	c := &LRU[V]{seed: maphash.MakeSeed(), shards: make([]lruShard[V], lruShards)}
	for i := range c.shards {
		s := &c.shards[i]
		s.cap = per
		s.items = make(map[string]*lruEntry[V], per)
		s.head.next = &s.head
		s.head.prev = &s.head
	}
	return c
}

// NewAdmittingLRU is NewLRU for keys that are often never seen again
// (SQL texts with literal values): a key is stored only when it is Put a
// second time while the cache still remembers the first Put (a table of
// hashes, 8 bytes per slot, as many slots as entries). Texts run once do not
// evict statements that repeat, and cost the memory of a hash, not of an
// analysed statement; a repeated text is analysed twice before it is cached.
func NewAdmittingLRU[V any](capacity int) *LRU[V] {
	c := NewLRU[V](capacity)
	c.admitting = true
	for i := range c.shards {
		c.shards[i].seen = make([]uint64, c.shards[i].cap)
	}
	return c
}

func (c *LRU[V]) shard(key string) (*lruShard[V], uint64) {
	h := maphash.String(c.seed, key)
	return &c.shards[h%lruShards], h
}

// Get returns the value stored under key.
func (c *LRU[V]) Get(key string) (V, bool) {
	s, _ := c.shard(key)
	s.mu.Lock()
	e, ok := s.items[key]
	if ok {
		s.unlink(e)
		s.pushFront(e)
		v := e.val
		s.mu.Unlock()
		return v, true
	}
	s.mu.Unlock()
	var zero V
	return zero, false
}

// Put stores val under key, evicting the least recently used entry of the
// shard when it is full. An admitting cache only remembers the key's hash
// the first time.
func (c *LRU[V]) Put(key string, val V) {
	s, h := c.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.items[key]; ok {
		e.val = val
		s.unlink(e)
		s.pushFront(e)
		return
	}
	if c.admitting {
		slot := &s.seen[(h/lruShards)%uint64(len(s.seen))]
		if *slot != h {
			*slot = h
			return
		}
		*slot = 0
	}
	if len(s.items) >= s.cap {
		last := s.head.prev
		s.unlink(last)
		delete(s.items, last.key)
	}
	e := &lruEntry[V]{key: key, val: val}
	s.items[key] = e
	s.pushFront(e)
}

// Len returns the number of entries.
func (c *LRU[V]) Len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		n += len(s.items)
		s.mu.Unlock()
	}
	return n
}

func (s *lruShard[V]) unlink(e *lruEntry[V]) {
	e.prev.next = e.next
	e.next.prev = e.prev
}

func (s *lruShard[V]) pushFront(e *lruEntry[V]) {
	e.next = s.head.next
	e.prev = &s.head
	s.head.next.prev = e
	s.head.next = e
}
