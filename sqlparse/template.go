package sqlparse

import (
	"strings"

	"github.com/shardline/shardline/sqllex"
)

// A physical statement is the client's text with a few edits: table names
// replaced by physical ones, a pushed-down LIMIT, added select fields, the
// session's values in place of LAST_INSERT_ID() ... Everything else —
// literals, escapes, charset introducers, comments — is copied byte for
// byte from the client's text, so it means on the shard what it meant to
// the client.

// HoleKind says what an edit writes.
type HoleKind uint8

const (
	// HolePieces writes Edit.Pieces: fixed text and spans of the statement.
	HolePieces HoleKind = iota
	// HoleTable is the (qualified) name of table ref Ref where the table is
	// named: FROM, INTO, UPDATE, DDL, the target list of a multi-table
	// DELETE.
	HoleTable
	// HoleQualifier is a column qualifier naming table ref Ref (`t`.`col`);
	// Schema reports that the client wrote `db`.`t`.`col`.
	HoleQualifier
	// HoleLimit is the LIMIT clause of a scattered SELECT, written by the
	// router ("" or "LIMIT n").
	HoleLimit
	// HoleRows is the list of VALUES rows of a split INSERT: the text
	// between the first "(" and the last ")".
	HoleRows
	// HoleDatabase is the database name of CREATE/DROP/ALTER DATABASE.
	HoleDatabase
	// HoleColumns is an insertion after the last column of an INSERT's
	// column list: the router may append a column.
	HoleColumns
	// HoleLastID is LAST_INSERT_ID(), @@last_insert_id or @@identity inside
	// a statement (Statement.UsesLastID): the router writes the session's
	// value, which the backend connection does not know.
	HoleLastID
	// HoleConnID is CONNECTION_ID() inside a statement
	// (Statement.UsesConnID): the router writes the client session's id,
	// the one KILL takes, not the backend connection's.
	HoleConnID
	// HoleShowFrom is the FROM db of SHOW ... FROM t FROM db: the router
	// drops it when it writes table ref Ref qualified.
	HoleShowFrom
	// HoleAlias is an insertion after a select field whose text an edit
	// changes: " AS `<the field as the client wrote it>`" (the span of
	// Pieces[0]), so the column keeps the name the server would have
	// given it.
	HoleAlias
)

// Hole is what an edit fills in at plan time.
type Hole struct {
	Kind   HoleKind
	Ref    int
	Schema bool
}

// Piece is a part of an edit's replacement: fixed Text, or (Text empty)
// the statement's own tokens [From, To), rendered with their edits.
type Piece struct {
	Text     string
	From, To int
}

// Edit replaces the significant tokens [From, To) of the statement; with
// From == To it inserts after token From-1.
type Edit struct {
	From, To int
	Hole     Hole
	// Pieces are the replacement of a HolePieces edit; a HoleAlias has one
	// piece, the span of the field it names.
	Pieces []Piece
}

// Template is the edits of one physical statement, sorted by From (an
// edit that contains others comes before them; the contained ones are
// rendered only through the container's pieces).
type Template struct {
	Edits []Edit
}

// With returns the template with more edits (a plan's own: a pushed-down
// LIMIT, added fields ...).
func (tp *Template) With(extra ...Edit) *Template {
	if len(extra) == 0 {
		return tp
	}
	all := make([]Edit, 0, len(tp.Edits)+len(extra))
	all = append(all, tp.Edits...)
	return newTemplate(append(all, extra...))
}

// Filler writes the replacement of an edit whose hole the router fills
// (every kind but HolePieces); Text.Span gives it the text the edit
// replaces, for holes it leaves as written.
type Filler func(b *strings.Builder, e *Edit)

// Render writes the statement's tokens [from, to) with the template's
// edits applied (to == len(t.Toks) with from == 0 renders the whole text,
// leading and trailing comments included). params receives the ordinals of
// the '?' markers copied, in output order.
func (tp *Template) Render(b *strings.Builder, t *Text, from, to int, fill Filler, params *[]int) {
	r := renderer{tp: tp, t: t, b: b, fill: fill, params: params}
	start, end := 0, len(t.SQL)
	if from > 0 || to < len(t.Toks) {
		start, end = t.Toks[from].Start, t.Toks[to-1].End
	}
	if from >= to {
		return
	}
	r.rangeOf(from, to, start, end)
}

type renderer struct {
	tp     *Template
	t      *Text
	b      *strings.Builder
	fill   Filler
	params *[]int
}

// rangeOf renders tokens [from, to), whose bytes are [start, end).
func (r *renderer) rangeOf(from, to, start, end int) {
	pos, tok := start, from
	for i := 0; i < len(r.tp.Edits); i++ {
		e := &r.tp.Edits[i]
		if e.From < from || e.To > to || (e.From == e.To && (e.From == from || e.From > to)) || e.From < tok {
			continue
		}
		var at int // where the replaced bytes start
		if e.From == e.To {
			at = r.t.Toks[e.From-1].End
		} else {
			at = r.t.Toks[e.From].Start
		}
		r.copyBytes(pos, at, tok, e.From)
		r.write(e)
		if e.From == e.To {
			pos, tok = at, e.From
		} else {
			pos, tok = r.t.Toks[e.To-1].End, e.To
		}
	}
	r.copyBytes(pos, end, tok, to)
}

// copyBytes copies [start, end) of the text, recording the markers of
// tokens [from, to).
func (r *renderer) copyBytes(start, end, from, to int) {
	if start < end {
		r.b.WriteString(r.t.SQL[start:end])
	}
	if r.params == nil {
		return
	}
	for i := from; i < to && i < len(r.t.Toks); i++ {
		if r.t.Toks[i].Kind == sqllex.Param {
			*r.params = append(*r.params, r.t.ParamOrdinal(i))
		}
	}
}

func (r *renderer) write(e *Edit) {
	switch e.Hole.Kind {
	case HolePieces:
		for _, p := range e.Pieces {
			if p.Text != "" || p.From >= p.To {
				r.b.WriteString(p.Text)
				continue
			}
			r.rangeOf(p.From, p.To, r.t.Toks[p.From].Start, r.t.Toks[p.To-1].End)
		}
	default:
		r.fill(r.b, e)
	}
}

// ParamOrdinal returns the ordinal of the '?' marker at significant token i.
func (t *Text) ParamOrdinal(i int) int {
	if t.params == nil {
		t.params = make([]int32, len(t.Toks))
		n := int32(0)
		for j, tk := range t.Toks {
			t.params[j] = n
			if tk.Kind == sqllex.Param {
				n++
			}
		}
	}
	return int(t.params[i])
}

// QuoteName quotes an identifier with backquotes (valid in every
// sql_mode).
func QuoteName(s string) string {
	return "`" + strings.ReplaceAll(s, "`", "``") + "`"
}

// Name writes an identifier unquoted when the server reads it as the same
// name that way (letters, digits, '_' and '$', not all digits, not a
// reserved word), else quoted.
func Name(s string) string {
	if s == "" || reservedWords[strings.ToLower(s)] {
		return QuoteName(s)
	}
	digits := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_', c == '$':
			digits = false
		default:
			return QuoteName(s)
		}
	}
	if digits || (s[0] >= '0' && s[0] <= '9') {
		return QuoteName(s) // 1e5, 0x1 ... could read as numbers
	}
	return s
}

// QuoteString quotes a string literal as the server reads it under the
// session's sql_mode: quotes doubled, and backslashes (and NUL, CR, LF,
// ^Z) escaped unless NO_BACKSLASH_ESCAPES is on, where a backslash is an
// ordinary character. Shardline quotes only names and patterns it
// generates, in client charsets where a byte below 0x80 is always a
// character of its own (package charsets refuses the others).
func QuoteString(s string, noBackslashEscapes bool) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'':
			b.WriteString("''")
		case noBackslashEscapes:
			b.WriteByte(c)
		case c == '\\':
			b.WriteString(`\\`)
		case c == 0:
			b.WriteString(`\0`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == 0x1a:
			b.WriteString(`\Z`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}
