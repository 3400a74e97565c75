package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
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
	// ClusterTLS, when set, puts Raft, node-to-node calls and the admin
	// endpoint under TLS.
	ClusterTLS *ClusterTLSConfig `yaml:"cluster_tls"`
	clusterTLS *tls.Config       // loaded from ClusterTLS by loadConfig
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

// ClusterTLSConfig secures the traffic between nodes and the admin
// endpoint: the Raft transport runs over mutual TLS, the admin endpoint
// serves HTTPS, and nodes call each other's admin endpoints with their
// certificate. The certificate must be valid for the hosts of raft.addr and
// admin.listen (IP SANs for IP addresses) and signed by the CA, which every
// node trusts.
type ClusterTLSConfig struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	CAFile   string `yaml:"ca_file"`
}

// load reads the files into a tls.Config for metaraft and admin.
func (c *ClusterTLSConfig) load() (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("cluster_tls: %w", err)
	}
	pem, err := os.ReadFile(c.CAFile)
	if err != nil {
		return nil, fmt.Errorf("cluster_tls.ca_file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("cluster_tls.ca_file: no PEM certificate in %s", c.CAFile)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool, ClientCAs: pool, MinVersion: tls.VersionTLS12}, nil
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
	if err := cfg.validate(); err != nil {
		return cfg, err
	}
	if cfg.ClusterTLS != nil {
		if cfg.clusterTLS, err = cfg.ClusterTLS.load(); err != nil {
			return cfg, err
		}
	}
	return cfg, nil
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
	if t := c.ClusterTLS; t != nil && (t.CertFile == "" || t.KeyFile == "" || t.CAFile == "") {
		return errors.New("cluster_tls: cert_file, key_file and ca_file must all be set")
	}
	if c.Raft != nil && c.Admin.Listen == "" {
		return errors.New("admin.listen: must be set with raft (nodes join and forward through it)")
	}
	return nil
}
