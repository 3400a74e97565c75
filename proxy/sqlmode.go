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

// connectMode returns the sql_mode a new session starts with: the default
// shard's, read once from a pooled connection (a new connection's session
// value is the server's global one).
func (s *Server) connectMode(ctx context.Context, shard string) sqlMode {
	if m := s.modeAtConnect.Load(); m != nil {
		return *m
	}
	p, err := s.pools.get(shard)
	if err != nil {
		return sqlMode{}
	}
	bc, err := p.get(ctx)
	if err != nil {
		return sqlMode{}
	}
	defer p.put(bc)
	r, err := bc.exec("SELECT @@GLOBAL.sql_mode")
	if err != nil || len(r.Values) != 1 {
		return sqlMode{}
	}
	m := sqlMode{text: strings.ToUpper(string(r.Values[0][0].AsString())), known: true}
	s.modeAtConnect.Store(&m)
	return m
}
