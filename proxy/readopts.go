package proxy

import (
	"strconv"
	"strings"

	"github.com/shardline/shardline/charsets"
	"github.com/shardline/shardline/sqllex"
	"github.com/shardline/shardline/sqlparse"
)

// How the session's statements are read: the proxy must read a statement
// exactly as the shards will, so it reads it under the session's sql_mode,
// in the session's character set, with executable comments decided by the
// shards' server version.

// readOptions returns the options sqlparse reads the session's statements
// with.
func (s *Session) readOptions() sqlparse.Options {
	f := s.srv.backend.Load()
	o := sqlparse.Options{
		Lex: sqllex.Mode{
			ANSIQuotes:         s.mode.has("ANSI_QUOTES"),
			NoBackslashEscapes: s.mode.has("NO_BACKSLASH_ESCAPES"),
			MariaDB:            true,
			Charset:            sqllex.ClientCharset(s.charset),
		},
		PipesAsConcat:     s.mode.has("PIPES_AS_CONCAT"),
		HighNotPrecedence: s.mode.has("HIGH_NOT_PRECEDENCE"),
		IgnoreSpace:       s.mode.has("IGNORE_SPACE"),
		Charset:           s.charset,
	}
	if f != nil {
		o.Lex.ServerVersion, o.Lex.MariaDB = versionNumber(f.version)
	}
	return o
}

// versionNumber reads a server's version string as executable comments
// number it (10.11.19 is 101119), and whether the server is MariaDB
// ("5.5.5-10.11.19-MariaDB-..." announces MariaDB 10.11.19).
func versionNumber(v string) (int, bool) {
	mariadb := strings.Contains(v, "MariaDB")
	v = strings.TrimPrefix(v, "5.5.5-")
	if i := strings.IndexFunc(v, func(r rune) bool { return r != '.' && (r < '0' || r > '9') }); i >= 0 {
		v = v[:i]
	}
	parts := strings.SplitN(v, ".", 3)
	n := 0
	for i := 0; i < 3; i++ {
		x := 0
		if i < len(parts) {
			x, _ = strconv.Atoi(parts[i])
		}
		n = n*100 + x
	}
	return n, mariadb
}

// clientCharsetError refuses a character_set_client Shardline cannot read
// exactly: one in which a multibyte character may contain the bytes of '\'
// or a quote (big5, cp932, gbk, sjis ...), so that the proxy and the server
// would disagree on where a string ends (see package charsets).
func clientCharsetError(name string) error { return charsets.ClientCharsetError(name) }
