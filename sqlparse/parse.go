// Package sqlparse is Shardline's only user of the TiDB SQL parser. It parses
// one statement, classifies it, extracts its table references and the
// predicates that can route it (column = literal, IN lists, ranges, with
// literals or '?' markers), and restores it as SQL text with holes where
// table names are, so that the router can write physical names without
// parsing again. The result, a *Statement, is plain data: no AST node is kept
// after analysis (the parser is pooled and reuses its memory), and a
// Statement is immutable and shared through a bounded LRU cache keyed by SQL
// text.
//
// Restored SQL uses RestoreStringSingleQuotes | RestoreKeyWordUppercase |
// RestoreNameBackQuotes | RestoreStringEscapeBackslash |
// RestoreStringWithoutDefaultCharset: strings are written '...' with
// backslashes doubled (the default sql_mode, without NO_BACKSLASH_ESCAPES or
// ANSI_QUOTES, is assumed), names `...`, and the implicit utf8mb4 introducer
// that the parser attaches to every string is left out. '?' markers restore
// as '?'.
package sqlparse

import (
	"fmt"
	"strings"
	"sync"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
	_ "github.com/pingcap/tidb/pkg/parser/test_driver" // value expressions
)

// RestoreFlags are the flags used to restore SQL text for the backends.
const RestoreFlags = format.RestoreStringSingleQuotes | format.RestoreKeyWordUppercase |
	format.RestoreNameBackQuotes | format.RestoreStringEscapeBackslash |
	format.RestoreStringWithoutDefaultCharset

// DefaultCacheSize is the number of analysed statements a Parser keeps.
const DefaultCacheSize = 10000

// MaxCachedSQL is the longest SQL text that is cached (bulk INSERTs are
// analysed every time rather than filling the cache).
const MaxCachedSQL = 16 << 10

var parserPool = sync.Pool{New: func() any { return parser.New() }}

// Parser analyses statements and caches the results by SQL text, from the
// second time a text is seen (NewAdmittingLRU). It is safe for concurrent
// use.
type Parser struct {
	cache *LRU[*Statement]
}

// NewParser returns a Parser whose cache holds about size statements.
func NewParser(size int) *Parser {
	if size <= 0 {
		size = DefaultCacheSize
	}
	return &Parser{cache: NewAdmittingLRU[*Statement](size)}
}

// Parse returns the analysis of sql, from the cache when possible.
func (p *Parser) Parse(sql string) (*Statement, error) {
	if st, ok := p.cache.Get(sql); ok {
		return st, nil
	}
	st, err := Analyze(sql)
	if err != nil {
		return nil, err
	}
	if len(sql) <= MaxCachedSQL {
		p.cache.Put(sql, st)
	}
	return st, nil
}

// CacheLen returns the number of cached statements.
func (p *Parser) CacheLen() int { return p.cache.Len() }

// Analyze parses and analyses one statement without the cache. Errors are
// *mysql.MyError: ER_PARSE_ERROR (1064) for syntax errors,
// ER_NOT_SUPPORTED_YET (1235) for several statements in one text.
func Analyze(sql string) (st *Statement, err error) {
	if hasMariaDBExecutableComment(sql) {
		return nil, Unsupported("MariaDB executable comments (/*M! ... */): the SQL parser skips them while MariaDB runs what they hold, so the statement would be routed without it; write it as plain SQL")
	}
	ps := parserPool.Get().(*parser.Parser)
	stmts, perr, crashed := safeParse(ps, sql)
	if crashed {
		// The parser may be in a bad state: it does not go back to the pool.
		return nil, perr
	}
	if perr != nil {
		parserPool.Put(ps)
		if hasWordsPrefix(sql, "xa") {
			return nil, Unsupported("XA statements from clients (Shardline runs XA itself)")
		}
		return nil, ParseError(perr)
	}
	if len(stmts) == 0 {
		parserPool.Put(ps)
		return nil, mysql.NewError(mysql.ER_EMPTY_QUERY, "Query was empty")
	}
	if len(stmts) > 1 {
		parserPool.Put(ps)
		return nil, Unsupported("multiple statements in one query")
	}
	defer func() {
		// The AST is dropped before the parser goes back to the pool.
		parserPool.Put(ps)
		if r := recover(); r != nil {
			st = nil
			err = Unsupported(fmt.Sprintf("statement (analysis failed: %v)", r))
		}
	}()
	return analyze(sql, stmts[0])
}

// hasMariaDBExecutableComment reports a /*M! comment outside string
// literals and quoted identifiers. The TiDB parser treats it as a comment;
// MariaDB executes its content (WHERE id = 1 /*M! OR 1=1 */), so routing by
// the parsed statement would silently differ from what the server runs.
func hasMariaDBExecutableComment(sql string) bool {
	if !strings.Contains(sql, "/*M!") {
		return false
	}
	for i := 0; i < len(sql); i++ {
		switch c := sql[i]; c {
		case '\'', '"', '`':
			for i++; i < len(sql) && sql[i] != c; i++ {
				if sql[i] == '\\' && c != '`' {
					i++
				}
			}
		case '/':
			if strings.HasPrefix(sql[i:], "/*M!") {
				return true
			}
			if strings.HasPrefix(sql[i:], "/*") && !strings.HasPrefix(sql[i:], "/*!") {
				end := strings.Index(sql[i+2:], "*/")
				if end < 0 {
					return false
				}
				i += end + 3
			}
		case '#':
			i = lineEnd(sql, i)
		case '-':
			if strings.HasPrefix(sql[i:], "-- ") {
				i = lineEnd(sql, i)
			}
		}
	}
	return false
}

func lineEnd(sql string, i int) int {
	if n := strings.IndexByte(sql[i:], '\n'); n >= 0 {
		return i + n
	}
	return len(sql)
}

// safeParse runs the TiDB parser, turning a panic into an error. The parser
// panics on some inputs (found by FuzzPlan: an integer literal longer than
// its test driver's decimal supports); one client's statement must not take
// down its session, let alone the node.
func safeParse(ps *parser.Parser, sql string) (stmts []ast.StmtNode, err error, crashed bool) {
	defer func() {
		if r := recover(); r != nil {
			stmts, crashed = nil, true
			err = Unsupported(fmt.Sprintf("this statement (the SQL parser failed on it: %v)", r))
		}
	}()
	stmts, _, err = ps.Parse(sql, "", "")
	return stmts, err, false
}

// ParseError turns a parser error into ER_PARSE_ERROR.
func ParseError(err error) error {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "[parser:1064]")
	return mysql.NewError(mysql.ER_PARSE_ERROR, "You have an error in your SQL syntax; "+strings.TrimSpace(msg))
}

// Unsupported returns ER_NOT_SUPPORTED_YET naming the construct.
func Unsupported(construct string) error {
	return mysql.NewError(mysql.ER_NOT_SUPPORTED_YET, "Shardline does not support "+construct)
}
