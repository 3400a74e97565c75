package metaraft

import (
	"sync"

	"github.com/shardline/shardline/router"
)

// watchers delivers every published shard map to every registered callback,
// in publication order, each callback on its own goroutine (a slow callback
// delays only itself, never the FSM).
type watchers struct {
	mu      sync.Mutex
	current *router.ShardMap
	list    []*watcher
	closed  bool
	wg      sync.WaitGroup
}

type watcher struct {
	fn    func(*router.ShardMap)
	mu    sync.Mutex
	cond  *sync.Cond
	queue []*router.ShardMap
	done  bool
}

func newWatchers() *watchers { return &watchers{current: emptyMap()} }

// add registers fn; its first call receives the current map.
func (ws *watchers) add(fn func(*router.ShardMap)) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.closed {
		return
	}
	w := &watcher{fn: fn, queue: []*router.ShardMap{ws.current}}
	w.cond = sync.NewCond(&w.mu)
	ws.list = append(ws.list, w)
	ws.wg.Add(1)
	go func() {
		defer ws.wg.Done()
		w.run()
	}()
}

// publish is called by the FSM after every map change; it never blocks on
// a callback.
func (ws *watchers) publish(m *router.ShardMap) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	ws.current = m
	for _, w := range ws.list {
		w.mu.Lock()
		w.queue = append(w.queue, m)
		w.mu.Unlock()
		w.cond.Signal()
	}
}

func (ws *watchers) close() {
	ws.mu.Lock()
	ws.closed = true
	list := ws.list
	ws.list = nil
	ws.mu.Unlock()
	for _, w := range list {
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
		w.cond.Signal()
	}
	ws.wg.Wait()
}

func (w *watcher) run() {
	for {
		w.mu.Lock()
		for len(w.queue) == 0 && !w.done {
			w.cond.Wait()
		}
		if w.done {
			w.mu.Unlock()
			return
		}
		m := w.queue[0]
		w.queue = w.queue[1:]
		w.mu.Unlock()
		w.fn(m)
	}
}
