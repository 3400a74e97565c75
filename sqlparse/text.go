package sqlparse

import (
	"strings"

	"github.com/shardline/shardline/sqllex"
)

// Text is one statement text as the server reads it: the client's bytes and
// their significant tokens (what the server does not skip: no spaces, no
// comments, no executable-comment markers). Analyses refer to tokens by
// their index among the significant ones, so an analysis made for one text
// applies to every text of the same shape (the same tokens but for literal
// values): the physical statement is spliced from this text's own bytes.
type Text struct {
	SQL  string
	Toks []sqllex.Token // significant tokens
	// all holds every token, skipped ones included, in order (for the
	// executable-comment markers a rewrite must keep balanced).
	all  []sqllex.Token
	mode sqllex.Mode
	// Charset is the character set of the text (the session's
	// character_set_client).
	Charset string
	// params[i] is the number of '?' markers before token i (lazily).
	params []int32
}

// lexText lexes sql under mode and keeps the significant tokens. Like the
// server, it first drops leading whitespace and trailing ';' and
// whitespace ("SELECT 1 --;" is "SELECT 1 --", a comment).
func lexText(sql string, mode sqllex.Mode, charset string) (*Text, error) {
	start, end := sqllex.TrimQuery(sql, mode)
	sql = sql[start:end]
	all, err := sqllex.Lex(sql, mode)
	if err != nil {
		return nil, lexError(sql, err)
	}
	t := &Text{SQL: sql, all: all, mode: mode, Charset: charset}
	t.Toks = make([]sqllex.Token, 0, len(all)/2+1)
	for _, tk := range all {
		if !tk.Kind.Skipped() {
			t.Toks = append(t.Toks, tk)
		}
	}
	return t, nil
}

// tok returns the text of significant token i.
func (t *Text) tok(i int) string { return t.SQL[t.Toks[i].Start:t.Toks[i].End] }

// kind returns the kind of significant token i.
func (t *Text) kind(i int) sqllex.Kind { return t.Toks[i].Kind }

// is reports whether significant token i is the word (keyword or
// unquoted identifier) w, case-insensitively.
func (t *Text) is(i int, w string) bool {
	return i >= 0 && i < len(t.Toks) && t.Toks[i].Kind == sqllex.Ident && strings.EqualFold(t.tok(i), w)
}

// op reports whether significant token i is the operator or punctuation o.
func (t *Text) op(i int, o string) bool {
	return i >= 0 && i < len(t.Toks) && t.Toks[i].Kind == sqllex.Op && t.tok(i) == o
}

// Span returns the original bytes of significant tokens [from, to), with
// whatever lies between them (spaces, comments).
func (t *Text) Span(from, to int) string {
	if from >= to {
		return ""
	}
	return t.SQL[t.Toks[from].Start:t.Toks[to-1].End]
}

// closeParen returns the index of the ')' that closes the '(' at index open,
// or -1.
func (t *Text) closeParen(open int) int {
	depth := 0
	for i := open; i < len(t.Toks); i++ {
		switch {
		case t.op(i, "("):
			depth++
		case t.op(i, ")"):
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// IdentValue returns the identifier an Ident or QuotedIdent token names
// (quotes removed, doubled quotes undone).
func (t *Text) IdentValue(i int) string { return t.identValue(i) }

// StringValue returns the value of a String token.
func (t *Text) StringValue(i int) []byte { return sqllex.StringValue(t.SQL, t.Toks[i], t.mode) }

func (t *Text) identValue(i int) string {
	s := t.tok(i)
	if t.Toks[i].Kind != sqllex.QuotedIdent || len(s) < 2 {
		return s
	}
	q := s[:1]
	return strings.ReplaceAll(s[1:len(s)-1], q+q, q)
}

// ExecMarkersIn reports whether an executable-comment marker lies between
// the start of significant token from and the end of token to-1: a rewrite
// that drops those bytes would unbalance the comment.
func (t *Text) ExecMarkersIn(from, to int) bool {
	if from >= to {
		return false
	}
	lo, hi := t.Toks[from].Start, t.Toks[to-1].End
	for _, tk := range t.all {
		if tk.Start >= hi {
			break
		}
		if tk.Start >= lo && (tk.Kind == sqllex.ExecCommentOpen || tk.Kind == sqllex.ExecCommentClose) {
			return true
		}
	}
	return false
}
