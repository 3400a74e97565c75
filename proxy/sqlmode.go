package proxy

import (
	"context"
	"strings"
)

// sqlMode is the session's sql_mode as the server resolved it (upper case,
// comma-separated, composite modes such as ANSI expanded), and the flags
// the proxy itself must honour: how statements are read (ANSI_QUOTES,
// NO_BACKSLASH_ESCAPES, PIPES_AS_CONCAT, HIGH_NOT_PRECEDENCE, IGNORE_SPACE),
// the status flag clients read (NO_BACKSLASH_ESCAPES) and generated ids
// (NO_AUTO_VALUE_ON_ZERO).
//
// The proxy never works the mode out from a SET's text: after any SET of
// sql_mode (SET sql_mode = CONCAT(@@sql_mode, ...) included) it reads the
// value back from the connection that ran it, and replays that literal on
// every other connection the session uses.
type sqlMode struct {
	text  string
	known bool // false until read from a server
}

func (m sqlMode) has(flag string) bool {
	for _, f := range strings.Split(m.text, ",") {
		if f == flag {
			return true
		}
	}
	return false
}

// backendFacts are what sessions need to know of the shards' server before
// their first statement: the version to announce in the handshake and the
// sql_mode a new session starts with (a new connection's session value is
// the server's global one). They are read once from the first shard that
// answers and kept; nothing is kept while no shard answers.
type backendFacts struct {
	version string // as the server announces it, e.g. 5.5.5-10.11.19-MariaDB-0+deb12u1
	mode    sqlMode
}

// facts returns the backend facts, reading them from shard the first time.
func (s *Server) facts(ctx context.Context, shard string) *backendFacts {
	if f := s.backend.Load(); f != nil {
		return f
	}
	p, err := s.pools.get(shard)
	if err != nil {
		return nil
	}
	bc, err := p.get(ctx)
	if err != nil {
		return nil
	}
	defer p.put(bc)
	r, err := bc.exec("SELECT @@GLOBAL.sql_mode")
	if err != nil || len(r.Values) != 1 {
		return nil
	}
	f := &backendFacts{version: bc.GetServerVersion(),
		mode: sqlMode{text: strings.ToUpper(string(r.Values[0][0].AsString())), known: true}}
	s.backend.Store(f)
	return f
}

// connectMode is the sql_mode a new session starts with.
func (s *Server) connectMode(ctx context.Context, shard string) sqlMode {
	if f := s.facts(ctx, shard); f != nil {
		return f.mode
	}
	return sqlMode{}
}

// fallbackVersion is announced when no shard has answered yet.
const fallbackVersion = "5.5.5-10.11.0-MariaDB"

// announcedVersion is the server version of the handshake: the configured
// one, else the shards' own with "-shardline" added, so that drivers take
// the paths the servers support (MariaDB's "5.5.5-" prefix included).
func (s *Server) announcedVersion(ctx context.Context) string {
	if s.cfg.ServerVersion != "" {
		return s.cfg.ServerVersion
	}
	v := fallbackVersion
	if f := s.facts(ctx, s.firstShard()); f != nil && f.version != "" {
		v = f.version
	}
	return v + "-shardline"
}
