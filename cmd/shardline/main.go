// Command shardline runs one Shardline node: the MySQL-protocol proxy, its
// Raft peer holding the shard map and transaction decisions, and the admin
// HTTP endpoint.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/shardline/shardline/proxy"
)

func main() {
	configPath := flag.String("config", "shardline.yaml", "path to the YAML config file")
	hashPassword := flag.Bool("hash-password", false, "read a password from stdin and print the password_hash and password_sha2 values for a user in the config")
	flag.Parse()
	if *hashPassword {
		pw, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && err != io.EOF {
			fmt.Fprintln(os.Stderr, "shardline:", err)
			os.Exit(1)
		}
		native, sha2 := proxy.PasswordHashes(strings.TrimRight(pw, "\r\n"))
		fmt.Printf("password_hash: %q\npassword_sha2: %q\n", native, sha2)
		return
	}
	if err := run(*configPath); err != nil {
		fmt.Fprintln(os.Stderr, "shardline:", err)
		os.Exit(1)
	}
}

func run(configPath string) error {
	cfg, err := loadConfig(configPath)
	if err != nil {
		return err
	}
	log := newLogger(cfg.LogLevel)
	slog.SetDefault(log)
	if cfg.PprofListen != "" {
		go func() { log.Error("pprof", "err", http.ListenAndServe(cfg.PprofListen, nil)) }()
	}
	if cfg.MemoryReleaseInterval > 0 {
		go releaseMemory(cfg.MemoryReleaseInterval)
	}
	n, err := startNode(cfg, log)
	if err != nil {
		return err
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	select {
	case s := <-sig:
		log.Info("shutting down", "signal", s.String())
	case err := <-n.done:
		log.Error("serving failed", "err", err)
	}
	n.stop()
	return nil
}

// releaseMemory returns freed heap to the OS every interval. A forced GC
// every few seconds costs a proxy with a small live heap little; without it
// the RSS of a load spike stays for minutes after the load.
func releaseMemory(interval time.Duration) {
	for range time.Tick(interval) {
		debug.FreeOSMemory()
	}
}

func newLogger(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}
