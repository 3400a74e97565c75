package router

// The shard map: plain data, encoded as JSON (admin API, Raft) and YAML (config
// file, shardctl) with the same field names. A *ShardMap handed to Plan is
// immutable: whoever changes the map builds a new one and swaps it in.

// ShardMap is the whole routing document. Version is bumped by every change
// (by metaraft); a config-file map has version 0.
type ShardMap struct {
	Version uint64             `json:"version" yaml:"version"`
	Shards  map[string]*Shard  `json:"shards" yaml:"shards"`
	Schemas map[string]*Schema `json:"schemas" yaml:"schemas"`
}

// Shard is one backend MySQL/MariaDB server.
type Shard struct {
	Addr     string `json:"addr" yaml:"addr"`
	User     string `json:"user" yaml:"user"`
	Password string `json:"password,omitempty" yaml:"password,omitempty"`
	// MaxConns bounds the backend connection pool for this shard (0: default).
	MaxConns int `json:"max_conns,omitempty" yaml:"max_conns,omitempty"`
	// TLS encrypts the connections to the shard: "" (off), "verify" (the
	// server certificate must chain to TLSCA, or the system roots, and name
	// the host) or "skip-verify" (encrypted, certificate not checked).
	TLS string `json:"tls,omitempty" yaml:"tls,omitempty"`
	// TLSCA is a PEM file of CA certificates for TLS "verify".
	TLSCA string `json:"tls_ca,omitempty" yaml:"tls_ca,omitempty"`
}

// Shard TLS modes.
const (
	TLSVerify     = "verify"
	TLSSkipVerify = "skip-verify"
)

// Schema is one logical database.
type Schema struct {
	// DefaultShard holds every table of the schema that has no rule.
	DefaultShard string `json:"default_shard" yaml:"default_shard"`
	// Tables maps a logical table name to its rule.
	Tables map[string]*TableRule `json:"tables,omitempty" yaml:"tables,omitempty"`
}

// Table rule types.
const (
	TypeSharded   = "sharded"   // the default when Type is empty
	TypeBroadcast = "broadcast" // a full copy on every shard
)

// Sharding algorithms.
const (
	AlgoHash  = "hash"
	AlgoMod   = "mod"
	AlgoRange = "range"
)

// TableRule says where the rows of one logical table live.
type TableRule struct {
	Type       string      `json:"type,omitempty" yaml:"type,omitempty"`
	ShardKey   string      `json:"shard_key,omitempty" yaml:"shard_key,omitempty"`
	Algorithm  string      `json:"algorithm,omitempty" yaml:"algorithm,omitempty"`
	Partitions []Partition `json:"partitions,omitempty" yaml:"partitions,omitempty"`
	// AutoIncrement names a column filled from a global sequence.
	AutoIncrement string `json:"auto_increment,omitempty" yaml:"auto_increment,omitempty"`
}

// Partition is one physical table holding part of a sharded table.
type Partition struct {
	Shard string `json:"shard" yaml:"shard"`
	// Schema is the physical database; empty means the logical schema name.
	Schema string `json:"schema,omitempty" yaml:"schema,omitempty"`
	Table  string `json:"table" yaml:"table"`
	// Upper is the exclusive upper bound for the range algorithm (the last
	// partition may omit it). A JSON number or string.
	Upper any `json:"upper,omitempty" yaml:"upper,omitempty"`
	// KeyspaceStart/KeyspaceEnd optionally give a hash partition's keyspace-id
	// range [start, end) as 16 hex digits; empty means an equal split.
	KeyspaceStart string `json:"keyspace_start,omitempty" yaml:"keyspace_start,omitempty"`
	KeyspaceEnd   string `json:"keyspace_end,omitempty" yaml:"keyspace_end,omitempty"`
}
