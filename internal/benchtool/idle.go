package main

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
)

// idleResult is the proxy's memory with n idle client connections held open.
type idleResult struct {
	conns        int
	rssBeforeKiB int64
	rssHeldKiB   int64
	kibPerConn   float64
	failed       int64
	firstErr     error
}

// holdIdle opens n client connections to the proxy (handshake + database
// selected, no statement), waits 3 s, samples VmRSS, then closes them.
func holdIdle(p *proxyProc, db string, n int) idleResult {
	res := idleResult{conns: n, rssBeforeKiB: rssKiB(p.pid())}
	conns := make([]*client.Conn, n)
	var next atomic.Int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				c, err := client.ConnectWithTimeout(p.addr, "app", "app", db, 10*time.Second)
				if err != nil {
					mu.Lock()
					res.failed++
					if res.firstErr == nil {
						res.firstErr = err
					}
					mu.Unlock()
					continue
				}
				conns[i] = c
			}
		})
	}
	wg.Wait()
	time.Sleep(3 * time.Second)
	res.rssHeldKiB = rssKiB(p.pid())
	if open := int64(n) - res.failed; open > 0 {
		res.kibPerConn = float64(res.rssHeldKiB-res.rssBeforeKiB) / float64(open)
	}
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
	return res
}
