package sqlparse

import (
	"sort"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/shardline/shardline/sqllex"
)

// Pass 2 records where the router edits the client's text: the names of
// table refs, column qualifiers that name a table ref without an alias,
// and the session values (LAST_INSERT_ID(), CONNECTION_ID()) the backend
// connection would answer wrongly.

func (a *analyzer) addEdit(e Edit) { a.edits = append(a.edits, e) }

// fail records that an edit cannot be placed: the statement is refused.
func (a *analyzer) fail(what string) {
	if a.failed == "" {
		a.failed = what
	}
}

func (a *analyzer) enter2(n ast.Node) (ast.Node, bool) {
	switch x := n.(type) {
	case *ast.SelectStmt, *ast.SetOprStmt, *ast.InsertStmt, *ast.UpdateStmt, *ast.DeleteStmt:
		if id, ok := a.blockOf[n]; ok {
			a.stack = append(a.stack, id)
		}
	case *ast.TableName:
		if idx, ok := a.refOf[x]; ok {
			pos := a.loc.table[x]
			a.nameEdit(pos, HoleTable, idx, x.Schema.L != "")
			if pos.apart() && (a.t.is(pos.schema-1, "from") || a.t.is(pos.schema-1, "in")) {
				// SHOW ... FROM t FROM db: the router writes db.t in
				// place of t and drops FROM db
				a.addEdit(Edit{From: pos.schema - 1, To: pos.schema + 1, Hole: Hole{Kind: HoleShowFrom, Ref: idx}})
			}
			return n, true
		}
		if kind, ok := a.qualNames[x]; ok {
			r := a.resolveQualifier(a.cur(), x.Schema.L, x.Name.L)
			if r >= 0 && a.st.Tables[r].Alias == "" {
				hk := HoleQualifier
				if kind == 'D' {
					hk = HoleTable
				}
				a.nameEdit(a.loc.table[x], hk, r, x.Schema.L != "")
			}
			return n, true
		}
	case *ast.ColumnName:
		if x.Table.L != "" {
			r := a.resolveQualifier(a.cur(), x.Schema.L, x.Table.L)
			if r >= 0 && a.st.Tables[r].Alias == "" {
				a.nameEdit(a.loc.column[x], HoleQualifier, r, x.Schema.L != "")
			}
		}
	case *ast.SelectField:
		// the visitor does not enter a field's wildcard
		if w := x.WildCard; w != nil && w.Table.L != "" {
			r := a.resolveQualifier(a.cur(), w.Schema.L, w.Table.L)
			if r >= 0 && a.st.Tables[r].Alias == "" {
				a.nameEdit(a.loc.wild[w], HoleQualifier, r, w.Schema.L != "")
			}
		}
	case *ast.FuncCallExpr:
		switch {
		case x.FnName.L == "last_insert_id" && len(x.Args) == 0:
			a.st.UsesLastID = true
			a.valueEdit(x, HoleLastID)
		case x.FnName.L == "connection_id" && len(x.Args) == 0:
			a.st.UsesConnID = true
			a.valueEdit(x, HoleConnID)
		}
	case *ast.VariableExpr:
		if isLastID(x) {
			a.st.UsesLastID = true
			a.valueEdit(x, HoleLastID)
		}
	}
	return n, false
}

func (a *analyzer) leave2(n ast.Node) (ast.Node, bool) {
	switch n.(type) {
	case *ast.SelectStmt, *ast.SetOprStmt, *ast.InsertStmt, *ast.UpdateStmt, *ast.DeleteStmt:
		if _, ok := a.blockOf[n]; ok && len(a.stack) > 0 {
			a.stack = a.stack[:len(a.stack)-1]
		}
	}
	return n, true
}

// nameEdit records a table name or qualifier of table ref ref at pos.
func (a *analyzer) nameEdit(pos namePos, kind HoleKind, ref int, schema bool) {
	sp, ok := pos.span()
	if !ok {
		a.fail("this statement (a table name that is also a keyword used elsewhere in it: quote it with backquotes)")
		return
	}
	a.addEdit(Edit{From: sp.From, To: sp.To, Hole: Hole{Kind: kind, Ref: ref, Schema: schema}})
}

// valueEdit records that expression e (a function call or a system
// variable) is replaced by a session value.
func (a *analyzer) valueEdit(e ast.ExprNode, kind HoleKind) {
	sp, ok := a.exprSpan(e)
	if !ok {
		a.fail("this use of LAST_INSERT_ID() / CONNECTION_ID()")
		return
	}
	a.addEdit(Edit{From: sp.From, To: sp.To, Hole: Hole{Kind: kind}})
}

// exprSpan returns the tokens of a function call or a variable: its first
// token from the parser's position, its last the closing parenthesis.
func (a *analyzer) exprSpan(e ast.ExprNode) (Span, bool) {
	start := a.p.tokenAt(e.OriginTextPosition())
	if start < 0 {
		return Span{}, false
	}
	if _, ok := e.(*ast.VariableExpr); ok {
		if a.t.kind(start) != sqllex.SysVar {
			return Span{}, false
		}
		return Span{start, start + 1}, true
	}
	open := start + 1
	if !a.t.op(open, "(") {
		return Span{}, false
	}
	end := a.t.closeParen(open)
	if end < 0 {
		return Span{}, false
	}
	return Span{start, end + 1}, true
}

// aliasChangedFields names the columns of top-level select fields whose
// text an edit changes (a qualifier made physical, a session value written
// in) after the field as the client wrote it, as the server would have:
// `SELECT orders.id + 1` stays a column named "orders.id + 1".
func (a *analyzer) aliasChangedFields(sel *ast.SelectStmt) {
	if sel.Fields == nil {
		return
	}
	fields, _ := a.fieldSpans(sel)
	for i, f := range sel.Fields.Fields {
		if f.WildCard != nil || f.AsName.L != "" || i >= len(fields) {
			continue
		}
		if c, ok := f.Expr.(*ast.ColumnNameExpr); ok && !isLastID(c) {
			continue // a column keeps its name whatever its qualifier
		}
		sp := fields[i]
		changed := false
		for _, e := range a.edits {
			if e.From >= sp.From && e.To <= sp.To && e.From < e.To {
				changed = true
				break
			}
		}
		if changed {
			a.addEdit(Edit{From: sp.To, To: sp.To, Hole: Hole{Kind: HoleAlias}, Pieces: []Piece{{From: sp.From, To: sp.To}}})
		}
	}
}

// newTemplate sorts edits: by first token; an insertion before a
// replacement at the same token; a container before what it contains.
func newTemplate(edits []Edit) *Template {
	sort.SliceStable(edits, func(i, j int) bool {
		a, b := &edits[i], &edits[j]
		if a.From != b.From {
			return a.From < b.From
		}
		if (a.From == a.To) != (b.From == b.To) {
			return a.From == a.To
		}
		return a.To > b.To
	})
	return &Template{Edits: edits}
}
