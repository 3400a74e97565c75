package sqlparse

import (
	"strings"

	"github.com/shardline/shardline/sqllex"
)

// Lexical helpers: where clauses of a statement start and end, read from
// the significant tokens. Reserved words (FROM, WHERE, ORDER ...) can only
// be keywords where they are not quoted, so a word token at the statement's
// parenthesis depth marks a clause.

// stopWords end a select field, a GROUP BY / ORDER BY item or a clause.
var stopWords = map[string]bool{
	"from": true, "into": true, "where": true, "group": true, "having": true, "window": true,
	"order": true, "limit": true, "procedure": true, "lock": true, "union": true, "except": true,
	"intersect": true, "returning": true, "on": true, "with": true,
}

// scanEnd returns the first token at or after i, at the depth of token i,
// that ends an item: a comma (when commas end it), a stop word, a ')'
// closing an enclosing parenthesis, a ';', or the end of the text.
func (t *Text) scanEnd(i int, commas bool) int {
	depth := 0
	for ; i < len(t.Toks); i++ {
		switch {
		case t.op(i, "("):
			depth++
		case t.op(i, ")"):
			if depth == 0 {
				return i
			}
			depth--
		case depth > 0:
		case t.op(i, ";"), commas && t.op(i, ","):
			return i
		case t.Toks[i].Kind == sqllex.Ident && t.isStopWord(i):
			return i
		}
	}
	return i
}

// isStopWord reports a word that starts a clause. FOR starts one only as
// FOR UPDATE / FOR SHARE (FOR SYSTEM_TIME belongs to a table of FROM).
func (t *Text) isStopWord(i int) bool {
	w := strings.ToLower(t.tok(i))
	if w == "for" {
		return t.is(i+1, "update") || t.is(i+1, "share")
	}
	if w == "with" {
		return t.is(i+1, "rollup") // GROUP BY ... WITH ROLLUP
	}
	return stopWords[w]
}

// clauseStarts lists the tokens from i on, at i's depth, that start a
// clause (stop words), up to the end of the statement, which is the last
// element (a ';' or len(Toks)).
func (t *Text) clauseStarts(i int) []int {
	var out []int
	depth := 0
	for ; i < len(t.Toks); i++ {
		switch {
		case t.op(i, "("):
			depth++
		case t.op(i, ")"):
			if depth == 0 {
				return append(out, i)
			}
			depth--
		case depth > 0:
		case t.op(i, ";"):
			return append(out, i)
		case t.Toks[i].Kind == sqllex.Ident && t.isStopWord(i):
			out = append(out, i)
		}
	}
	return append(out, i)
}

// nextClause returns the first clause start in starts after token i.
func nextClause(starts []int, i int) int {
	for _, s := range starts {
		if s > i {
			return s
		}
	}
	return starts[len(starts)-1]
}

// exprKey is the canonical text of tokens [from, to) for matching
// expressions: words lower-cased, quoted identifiers unquoted, one space
// between tokens.
func (t *Text) exprKey(from, to int) string {
	var b strings.Builder
	for i := from; i < to; i++ {
		if i > from {
			b.WriteByte(' ')
		}
		switch t.Toks[i].Kind {
		case sqllex.Ident:
			b.WriteString(strings.ToLower(t.tok(i)))
		case sqllex.QuotedIdent:
			b.WriteString(strings.ToLower(t.identValue(i)))
		default:
			b.WriteString(t.tok(i))
		}
	}
	return b.String()
}

// hasWordsPrefix reports whether the statement starts with the given words
// (case-insensitive).
func (t *Text) hasWordsPrefix(words ...string) bool {
	for i, w := range words {
		if !t.is(i, w) {
			return false
		}
	}
	return true
}
