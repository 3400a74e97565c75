package sqlparse

import (
	"strings"
)

// HoleKind is the kind of a Template hole.
type HoleKind uint8

const (
	// HoleTable is the (qualified) name of table ref Ref where the table is
	// named: FROM, INTO, UPDATE, DDL, the target list of a multi-table
	// DELETE. Default is the name as the client wrote it.
	HoleTable HoleKind = iota + 1
	// HoleQualifier is a column qualifier naming table ref Ref (`t`.`col`);
	// Schema reports that the client wrote `db`.`t`.`col`.
	HoleQualifier
	// HoleLimit is a LIMIT count of a scattered SELECT, filled by the router.
	HoleLimit
	// HoleRows is the list of VALUES rows of a split INSERT: the text
	// between the first "(" and the last ")".
	HoleRows
	// HoleDatabase is the database name of CREATE/DROP/ALTER DATABASE.
	HoleDatabase
	// HoleColumns is the last column of an INSERT column list in
	// InsertInfo.Split (Default is that column, quoted): the router may
	// append a column after it.
	HoleColumns
	// HoleValueSep is the comma between two values of an INSERT row in
	// InsertInfo.RowTemplates (Default ","): the router may replace a value.
	HoleValueSep
	// HoleLastID is LAST_INSERT_ID(), @@last_insert_id or @@identity inside
	// a statement (Statement.UsesLastID): the router writes the session's
	// value, which the backend connection does not know.
	HoleLastID
	// HoleConnID is CONNECTION_ID() inside a statement
	// (Statement.UsesConnID): the router writes the client session's id,
	// the one KILL takes, not the backend connection's.
	HoleConnID
)

// Hole is a place in a Template filled at plan time.
type Hole struct {
	Kind    HoleKind
	Ref     int
	Schema  bool
	Default string
}

// Template is SQL text with holes. Parts has len(Holes)+1 elements; the
// text is Parts[0] Holes[0] Parts[1] ... Params[i] lists the ordinals of
// the '?' markers in Parts[i], in textual order.
type Template struct {
	Parts  []string
	Holes  []Hole
	Params [][]int
}

// Text returns the template with every hole at its default.
func (t *Template) Text() string {
	if len(t.Holes) == 0 {
		return t.Parts[0]
	}
	var b strings.Builder
	for i, p := range t.Parts {
		b.WriteString(p)
		if i < len(t.Holes) {
			b.WriteString(t.Holes[i].Default)
		}
	}
	return b.String()
}

// ParamOrder returns the ordinals of the '?' markers of the template in
// textual order, excluding holes.
func (t *Template) ParamOrder() []int {
	var out []int
	for _, p := range t.Params {
		out = append(out, p...)
	}
	return out
}

// marker kinds (see analyzer.holeMarker).
const (
	mkTable     = 'T'
	mkQualifier = 'Q'
	mkParam     = 'P'
	mkLimit     = 'L'
	mkRows      = 'R'
	mkDatabase  = 'D'
	mkColumns   = 'C'
	mkValueSep  = 'S'
	mkLastID    = 'I'
	mkConnID    = 'K'
)

// QuoteName quotes an identifier with backquotes.
func QuoteName(s string) string {
	return "`" + strings.ReplaceAll(s, "`", "``") + "`"
}

// QuoteString quotes a string literal with single quotes, escaping
// backslashes and quotes (the default sql_mode, without
// NO_BACKSLASH_ESCAPES).
func QuoteString(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			b.WriteString(`\\`)
		case '\'':
			b.WriteString(`''`)
		case 0:
			b.WriteString(`\0`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case 0x1a:
			b.WriteString(`\Z`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}
