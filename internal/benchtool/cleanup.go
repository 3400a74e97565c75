package main

import (
	"log"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// cleanups stop what the suite started, newest first; they run at the end of
// runLive or on SIGINT/SIGTERM (then the process exits with 130).
var (
	cleanupMu sync.Mutex
	cleanups  []func()
)

// atCleanup registers f.
func atCleanup(f func()) {
	cleanupMu.Lock()
	defer cleanupMu.Unlock()
	cleanups = append(cleanups, f)
}

// runCleanups runs and forgets every registered cleanup.
func runCleanups() {
	cleanupMu.Lock()
	fs := cleanups
	cleanups = nil
	cleanupMu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		fs[i]()
	}
}

// cleanupOnSignal stops everything and exits on SIGINT/SIGTERM.
func cleanupOnSignal() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		s := <-ch
		log.Printf("%v: stopping the servers and proxies", s)
		runCleanups()
		os.Exit(130)
	}()
}
