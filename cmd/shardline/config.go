package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/shardline/shardline/proxy"
	"github.com/shardline/shardline/router"
)

// Config is the shardline YAML config file.
type Config struct {
	// NodeID names this node in the Raft group and in XA transaction ids.
	NodeID string `yaml:"node_id"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `yaml:"log_level"`
	// Proxy configures the MySQL listener, users and backend pools.
	Proxy proxy.Config `yaml:"proxy"`
	// Admin configures the HTTP admin endpoint; empty Listen disables it.
	Admin AdminConfig `yaml:"admin"`
	// Raft configures the metadata group; without it the shard map below is
	// used as is (a single, static proxy).
	Raft *RaftConfig `yaml:"raft"`
	// ShardMap is the initial shard map: the static map without Raft, or the
	// map the bootstrapping node loads into Raft.
	ShardMap router.ShardMap `yaml:"shardmap"`
	// XA configures cross-shard transactions.
	XA XAConfig `yaml:"xa"`
	// Sequences configures global sequences (auto_increment columns of
	// sharded tables; they need Raft).
	Sequences SequenceConfig `yaml:"sequences"`
	// PprofListen, when set, serves net/http/pprof there (profiling; keep it
	// on loopback).
	PprofListen string `yaml:"pprof_listen"`
	// MemoryReleaseInterval is how often the node returns freed heap to the
	// OS (0: never). Go keeps the heap of a load spike for minutes; a proxy
	// that idles afterwards should not.
	MemoryReleaseInterval time.Duration `yaml:"memory_release_interval"`
}

// AdminConfig configures the admin HTTP endpoint.
type AdminConfig struct {
	Listen string `yaml:"listen"`
	Token  string `yaml:"token"`
}

// RaftConfig configures this node's Raft peer.
type RaftConfig struct {
	Addr      string   `yaml:"addr"`
	DataDir   string   `yaml:"data_dir"`
	Bootstrap bool     `yaml:"bootstrap"`
	Join      []string `yaml:"join"`
}

// XAConfig configures the two-phase commit coordinator.
type XAConfig struct {
	// PrepareTimeout is how old an undecided prepared branch must be before
	// the resolver aborts it.
	PrepareTimeout time.Duration `yaml:"prepare_timeout"`
	// ResolveInterval is how often the resolver scans the shards.
	ResolveInterval time.Duration `yaml:"resolve_interval"`
	// LockWaitTimeout is the innodb_lock_wait_timeout of every branch of a
	// transaction once it spans two or more shards (0: the servers' own).
	// A lock cycle across shards is a deadlock no server can see; only this
	// timeout breaks it (error 1205, the statement is undone). A session
	// that sets innodb_lock_wait_timeout itself keeps its own value.
	LockWaitTimeout time.Duration `yaml:"lock_wait_timeout"`
}

// SequenceConfig configures the node's cache of global sequence values.
type SequenceConfig struct {
	// BlockSize is how many values the node reserves through Raft at once:
	// larger blocks mean fewer Raft round trips and larger gaps when a node
	// stops (the rest of its block is never used). 0 means the default.
	BlockSize uint64 `yaml:"block_size"`
}

func defaultConfig() Config {
	return Config{NodeID: "n1", LogLevel: "info", Proxy: proxy.DefaultConfig(), MemoryReleaseInterval: 10 * time.Second,
		XA:        XAConfig{PrepareTimeout: 30 * time.Second, ResolveInterval: 2 * time.Second, LockWaitTimeout: 10 * time.Second},
		Sequences: SequenceConfig{BlockSize: proxy.DefaultSequenceBlock}}
}

func loadConfig(path string) (Config, error) {
	cfg := defaultConfig()
	data, err := os.ReadFile(path)
	if err != nil {
		return cfg, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true) // a misspelt field is an error, not a silent default
	if err := dec.Decode(&cfg); err != nil {
		return cfg, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, cfg.validate()
}

func (c *Config) validate() error {
	if c.NodeID == "" {
		return errors.New("node_id: must be set")
	}
	if err := c.Proxy.Validate(); err != nil {
		return err
	}
	if c.Raft == nil || c.Raft.Bootstrap {
		if err := c.ShardMap.Validate(); err != nil {
			return fmt.Errorf("shardmap: %w", err)
		}
	}
	if c.Raft != nil && (c.Raft.Addr == "" || c.Raft.DataDir == "") {
		return errors.New("raft: addr and data_dir must be set")
	}
	if c.XA.PrepareTimeout < 3*time.Second {
		return errors.New("xa.prepare_timeout: at least 3s (the coordinator gets a third of it for each of its prepare and decision phases)")
	}
	if c.XA.LockWaitTimeout < 0 || (c.XA.LockWaitTimeout > 0 && c.XA.LockWaitTimeout < time.Second) {
		return errors.New("xa.lock_wait_timeout: 0 (the servers' own) or at least 1s")
	}
	if c.Raft != nil && c.Admin.Listen == "" {
		return errors.New("admin.listen: must be set with raft (nodes join and forward through it)")
	}
	return nil
}
