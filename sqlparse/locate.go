package sqlparse

import (
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/shardline/shardline/sqllex"
)

// The TiDB parser records where expressions start, but not where a table
// name or a column qualifier is. To find them, the text is parsed a second
// time with every identifier token that could be such a name replaced by a
// tag that encodes its token index; the two trees have the same shape, so
// the k-th table name of one is the k-th of the other. A name whose token
// cannot be tagged (an unquoted word the grammar also reads as a keyword
// elsewhere in the statement) is left unlocated: the statement is refused
// only if the router would have to edit it.

// located maps the name nodes of the analysed tree to token indices (-1:
// not written, or not located).
type located struct {
	table  map[*ast.TableName]namePos
	column map[*ast.ColumnName]namePos
	wild   map[*ast.WildCardField]namePos
}

// namePos is where a (schema, name) pair is written: the tokens of the
// schema and of the name (or table qualifier).
type namePos struct{ schema, name int }

// span returns the tokens of the qualified name, schema included when it
// is written before the name (schema.name).
func (p namePos) span() (Span, bool) {
	if p.name < 0 {
		return Span{}, false
	}
	if p.schema >= 0 && p.schema == p.name-2 {
		return Span{p.schema, p.name + 1}, true
	}
	return Span{p.name, p.name + 1}, true
}

// apart reports a schema written elsewhere than before the name (SHOW
// INDEX FROM t FROM db).
func (p namePos) apart() bool { return p.schema >= 0 && p.schema != p.name-2 }

// nameNodes lists, in the order the tree's visitor meets them, the nodes
// that hold table names and qualifiers.
type nameNodes struct {
	tables  []*ast.TableName
	columns []*ast.ColumnName
	wilds   []*ast.WildCardField
}

func (n *nameNodes) Enter(x ast.Node) (ast.Node, bool) {
	switch v := x.(type) {
	case *ast.TableName:
		n.tables = append(n.tables, v)
	case *ast.ColumnName:
		if v.Table.L != "" {
			n.columns = append(n.columns, v)
		}
	case *ast.SelectField:
		// the visitor does not enter a field's wildcard
		if w := v.WildCard; w != nil && w.Table.L != "" {
			n.wilds = append(n.wilds, w)
		}
	}
	return x, false
}

func (n *nameNodes) Leave(x ast.Node) (ast.Node, bool) { return x, true }

func collectNames(root ast.Node) *nameNodes {
	n := &nameNodes{}
	root.Accept(n)
	return n
}

// locate finds the tokens of root's table names and qualifiers.
func locate(t *Text, o *Options, root ast.StmtNode) (*located, error) {
	first := collectNames(root)
	loc := &located{table: map[*ast.TableName]namePos{}, column: map[*ast.ColumnName]namePos{},
		wild: map[*ast.WildCardField]namePos{}}
	names := map[string]bool{}
	for _, tn := range first.tables {
		names[tn.Name.L], names[tn.Schema.L] = true, true
	}
	for _, c := range first.columns {
		names[c.Table.L], names[c.Schema.L] = true, true
	}
	for _, w := range first.wilds {
		names[w.Table.L], names[w.Schema.L] = true, true
	}
	delete(names, "")
	if len(names) == 0 {
		return loc, nil
	}
	nonce := "sl" + strconv.FormatUint(rand.Uint64()>>20, 36) + "_"
	for _, avoidKeywords := range []bool{false, true} {
		tag := func(i int) (string, bool) {
			k := t.Toks[i].Kind
			if k != sqllex.Ident && k != sqllex.QuotedIdent {
				return "", false
			}
			v := strings.ToLower(t.identValue(i))
			if !names[v] || (avoidKeywords && k == sqllex.Ident && isKeyword(v)) {
				return "", false
			}
			return "`" + nonce + strconv.Itoa(i) + "`", true
		}
		p2, err := parse(t, o, tag)
		if err != nil {
			continue // a tag in a keyword's place: try without those
		}
		second := collectNames(p2.root)
		ok := pairNames(t, nonce, first, second, loc)
		p2.release()
		if ok {
			return loc, nil
		}
	}
	// Not located: every name stays unlocated (-1); edits that need one
	// refuse the statement.
	for _, tn := range first.tables {
		loc.table[tn] = namePos{-1, -1}
	}
	return loc, nil
}

// pairNames records the tokens of first's nodes from second's tags. It
// fails when the trees do not have the same names.
func pairNames(t *Text, nonce string, first, second *nameNodes, loc *located) bool {
	if len(first.tables) != len(second.tables) || len(first.columns) != len(second.columns) || len(first.wilds) != len(second.wilds) {
		return false
	}
	pos := func(want, tagged ast.CIStr) (int, bool) {
		if want.L == "" {
			return -1, tagged.L == ""
		}
		rest, ok := strings.CutPrefix(tagged.O, nonce)
		if !ok {
			return -1, strings.EqualFold(tagged.O, want.O) // written, not tagged (a keyword)
		}
		i, err := strconv.Atoi(rest)
		if err != nil || i < 0 || i >= len(t.Toks) || !strings.EqualFold(t.identValue(i), want.O) {
			return -1, false
		}
		return i, true
	}
	for k, a := range first.tables {
		b := second.tables[k]
		s, ok1 := pos(a.Schema, b.Schema)
		n, ok2 := pos(a.Name, b.Name)
		if !ok1 || !ok2 {
			return false
		}
		loc.table[a] = namePos{s, n}
	}
	for k, a := range first.columns {
		b := second.columns[k]
		s, ok1 := pos(a.Schema, b.Schema)
		n, ok2 := pos(a.Table, b.Table)
		if !ok1 || !ok2 {
			return false
		}
		loc.column[a] = namePos{s, n}
	}
	for k, a := range first.wilds {
		b := second.wilds[k]
		s, ok1 := pos(a.Schema, b.Schema)
		n, ok2 := pos(a.Table, b.Table)
		if !ok1 || !ok2 {
			return false
		}
		loc.wild[a] = namePos{s, n}
	}
	return true
}

var keywords = func() map[string]bool {
	m := make(map[string]bool, len(parser.Keywords))
	for _, k := range parser.Keywords {
		m[strings.ToLower(k.Word)] = true
	}
	return m
}()

func isKeyword(w string) bool { return keywords[w] }

// reservedWords are the words that cannot be unquoted identifiers.
var reservedWords = func() map[string]bool {
	m := map[string]bool{}
	for _, k := range parser.Keywords {
		if k.Reserved {
			m[strings.ToLower(k.Word)] = true
		}
	}
	return m
}()
