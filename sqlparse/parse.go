// Package sqlparse reads one statement as the server will and records facts
// about it for the router: its kind, its table references, the predicates
// that can route it (column = literal, IN lists, ranges, with literals or
// '?' markers), the clauses a scattered SELECT rewrites, and where in the
// client's text the router may edit (table names, qualifiers, ...).
//
// It is Shardline's only user of the TiDB SQL parser, and the parser is
// never trusted with the bytes: package sqllex splits the text exactly as
// MariaDB's lexer does under the session's sql_mode, character set and the
// shards' server version (executable comments); the TiDB parser reads a
// copy in which comments are blanked (and non-UTF-8 text decoded) and
// supplies the structure; every literal value and every byte of the
// physical statement comes from the client's own text. A statement the two
// readings disagree about is refused, never guessed.
//
// An analysis (a *Statement) refers to the text's significant tokens by
// index, so it is shared by every text of the same shape — the same tokens
// but for literal values — through a bounded cache: a repeated statement
// with new values costs a lexical pass, not a parse.
package sqlparse

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	tidbmysql "github.com/pingcap/tidb/pkg/parser/mysql"
	_ "github.com/pingcap/tidb/pkg/parser/test_driver" // value expressions

	"github.com/shardline/shardline/sqllex"
)

// Options say how the server reads the session's statements.
type Options struct {
	// Lex is the lexical mode: ANSI_QUOTES, NO_BACKSLASH_ESCAPES, the
	// shards' server version (executable comments) and the client
	// charset's byte classes.
	Lex sqllex.Mode
	// PipesAsConcat, HighNotPrecedence and IgnoreSpace are the sql_mode
	// flags that change the grammar.
	PipesAsConcat, HighNotPrecedence, IgnoreSpace bool
	// Charset is the session's character_set_client ("" means utf8mb4).
	Charset string
}

// key is the part of a cache key that the options make.
func (o *Options) key() string {
	var b strings.Builder
	for _, f := range []bool{o.Lex.ANSIQuotes, o.Lex.NoBackslashEscapes, o.PipesAsConcat, o.HighNotPrecedence, o.IgnoreSpace, o.Lex.MariaDB} {
		if f {
			b.WriteByte('1')
		} else {
			b.WriteByte('0')
		}
	}
	fmt.Fprintf(&b, "%d/%s\x00", o.Lex.ServerVersion, o.Charset)
	return b.String()
}

func (o *Options) sqlMode() tidbmysql.SQLMode {
	var m tidbmysql.SQLMode
	if o.Lex.ANSIQuotes {
		m |= tidbmysql.ModeANSIQuotes
	}
	if o.Lex.NoBackslashEscapes {
		m |= tidbmysql.ModeNoBackslashEscapes
	}
	if o.PipesAsConcat {
		m |= tidbmysql.ModePipesAsConcat
	}
	if o.HighNotPrecedence {
		m |= tidbmysql.ModeHighNotPrecedence
	}
	if o.IgnoreSpace {
		m |= tidbmysql.ModeIgnoreSpace
	}
	return m
}

// DefaultCacheSize is the number of analysed statement shapes a Parser
// keeps.
const DefaultCacheSize = 10000

// MaxCachedSQL is the longest SQL text whose analysis is cached (bulk
// INSERTs are analysed every time rather than filling the cache).
const MaxCachedSQL = 16 << 10

var parserPool = sync.Pool{New: func() any { return parser.New() }}

// Parser analyses statements and caches the analyses by shape. It is safe
// for concurrent use.
type Parser struct {
	shapes *LRU[*Statement]
}

// NewParser returns a Parser whose cache holds about size shapes.
func NewParser(size int) *Parser {
	if size <= 0 {
		size = DefaultCacheSize
	}
	return &Parser{shapes: NewLRU[*Statement](size)}
}

// Parse reads sql under o and returns its analysis (from the cache when a
// statement of the same shape was analysed before) and its text, which the
// router splices physical statements from. When the text lexes but does
// not parse, the error comes with the text.
func (p *Parser) Parse(sql string, o Options) (*Statement, *Text, error) {
	t, err := lexText(sql, o.Lex, o.Charset)
	if err != nil {
		return nil, nil, err
	}
	cacheable := len(sql) <= MaxCachedSQL
	var key string
	if cacheable {
		key = o.key() + t.shape()
		if st, ok := p.shapes.Get(key); ok {
			return st, t, nil
		}
	}
	st, err := analyzeText(t, &o)
	if err != nil {
		return nil, t, err // the text, for statements passed through unread
	}
	if cacheable && !st.textBound {
		p.shapes.Put(key, st)
	}
	return st, t, nil
}

// CacheLen returns the number of cached shapes.
func (p *Parser) CacheLen() int { return p.shapes.Len() }

// Analyze reads and analyses one statement without the cache. Errors are
// *mysql.MyError: ER_PARSE_ERROR (1064) for syntax errors,
// ER_EMPTY_QUERY (1065), ER_NOT_SUPPORTED_YET (1235) for several
// statements in one text.
func Analyze(sql string, o Options) (*Statement, *Text, error) {
	t, err := lexText(sql, o.Lex, o.Charset)
	if err != nil {
		return nil, nil, err
	}
	st, err := analyzeText(t, &o)
	if err != nil {
		return nil, nil, err
	}
	return st, t, nil
}

// shape is the text's significant tokens with every literal replaced by a
// marker of its kind: texts of one shape differ only in literal values.
func (t *Text) shape() string {
	var b strings.Builder
	b.Grow(len(t.SQL) + 8)
	for i, tk := range t.Toks {
		if i > 0 {
			b.WriteByte(' ')
		}
		if tk.Kind.IsLiteral() {
			b.WriteByte(0)
			b.WriteByte('0' + byte(tk.Kind))
			continue
		}
		b.WriteString(t.SQL[tk.Start:tk.End])
	}
	return b.String()
}

// parsed is the TiDB parser's reading of a text.
type parsed struct {
	root ast.StmtNode
	// starts[i] is where significant token i starts in the parser's text.
	starts []int
	ps     *parser.Parser
}

// parse runs the TiDB parser over the text as the server reads it:
// comments blanked, executable comments decided, non-UTF-8 text decoded.
// tag, when set, replaces some identifier tokens with other text (see
// locate.go). The caller must call release.
func parse(t *Text, o *Options, tag func(i int) (string, bool)) (*parsed, error) {
	src, starts := parseText(t, tag)
	ps := parserPool.Get().(*parser.Parser)
	ps.SetSQLMode(o.sqlMode())
	stmts, perr, crashed := safeParse(ps, src)
	if crashed {
		return nil, perr // the parser may be in a bad state: it does not go back to the pool
	}
	if perr != nil {
		parserPool.Put(ps)
		return nil, perr
	}
	switch len(stmts) {
	case 0:
		parserPool.Put(ps)
		return nil, mysql.NewError(mysql.ER_EMPTY_QUERY, "Query was empty")
	case 1:
		return &parsed{root: stmts[0], starts: starts, ps: ps}, nil
	}
	parserPool.Put(ps)
	return nil, Unsupported("multiple statements in one query")
}

func (p *parsed) release() {
	if p.ps != nil {
		parserPool.Put(p.ps)
		p.ps = nil
	}
}

// tokenAt maps an offset of the parser's text to a significant token.
func (p *parsed) tokenAt(off int) int {
	lo, hi := 0, len(p.starts)
	for lo < hi {
		m := (lo + hi) / 2
		if p.starts[m] < off {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(p.starts) && p.starts[lo] == off {
		return lo
	}
	return -1
}

// parseText builds the parser's copy of the text: skipped tokens become
// spaces (newlines kept, for line numbers in errors), significant ones are
// copied (decoded to UTF-8 when the client charset is another) or, when
// tag says so, replaced.
func parseText(t *Text, tag func(i int) (string, bool)) (string, []int) {
	dec := utf8Decoder(t.Charset)
	subst := false
	for i := range t.Toks {
		if _, ok := t.charsetSubst(i); ok {
			subst = true
			break
		}
	}
	if tag == nil && dec == nil && !subst {
		starts := make([]int, len(t.Toks))
		for i, tk := range t.Toks {
			starts[i] = tk.Start
		}
		return sqllex.ParseText(t.SQL, t.all), starts
	}
	var b strings.Builder
	b.Grow(len(t.SQL) + 16)
	starts := make([]int, 0, len(t.Toks))
	sig := 0
	for _, tk := range t.all {
		s := t.SQL[tk.Start:tk.End]
		if tk.Kind.Skipped() {
			for i := 0; i < len(s); i++ {
				if s[i] == '\n' {
					b.WriteByte('\n')
				} else {
					b.WriteByte(' ')
				}
			}
			continue
		}
		starts = append(starts, b.Len())
		if r, ok := t.charsetSubst(sig); ok {
			s = r
		}
		if tag != nil {
			if r, ok := tag(sig); ok {
				s = r
			}
		}
		sig++
		if dec != nil && !isASCII(s) {
			s = dec(s)
		}
		b.WriteString(s)
	}
	return b.String(), starts
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
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
	if err != nil {
		err = ParseError(err, sql)
	}
	return stmts, err, false
}

// tidbSyntaxError matches the position part of the TiDB parser's syntax
// errors.
var tidbSyntaxError = regexp.MustCompile(`(?s)line (\d+) column \d+ near "(.*)"\s*$`)

// ParseError turns a parser error into ER_PARSE_ERROR with MariaDB's
// wording: "... near '<the rest of the statement>' at line N".
func ParseError(err error, sql string) error {
	near, line := "", "1"
	if m := tidbSyntaxError.FindStringSubmatch(err.Error()); m != nil {
		line, near = m[1], m[2]
	}
	if len(near) > 80 {
		near = near[:80]
	}
	return mysql.NewError(mysql.ER_PARSE_ERROR, fmt.Sprintf(
		"You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server version for the right syntax to use near '%s' at line %s", near, line))
}

// lexError is the server's answer to text its lexer rejects.
func lexError(sql string, err error) error {
	if le, ok := err.(*sqllex.Error); ok && le.Pos <= len(sql) {
		near := sql[le.Pos:]
		if len(near) > 80 {
			near = near[:80]
		}
		line := 1 + strings.Count(sql[:le.Pos], "\n")
		return mysql.NewError(mysql.ER_PARSE_ERROR, fmt.Sprintf(
			"You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server version for the right syntax to use near '%s' at line %d", near, line))
	}
	return mysql.NewError(mysql.ER_PARSE_ERROR, "You have an error in your SQL syntax: "+err.Error())
}

// Unsupported returns ER_NOT_SUPPORTED_YET naming the construct.
func Unsupported(construct string) error {
	return mysql.NewError(mysql.ER_NOT_SUPPORTED_YET, "Shardline does not support "+construct)
}
