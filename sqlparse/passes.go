package sqlparse

import (
	"sort"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	driver "github.com/pingcap/tidb/pkg/parser/test_driver"
)

// --- visitor plumbing -------------------------------------------------------

type visitor struct {
	enter func(ast.Node) (ast.Node, bool)
	leave func(ast.Node) (ast.Node, bool)
}

func (v *visitor) Enter(n ast.Node) (ast.Node, bool) { return v.enter(n) }
func (v *visitor) Leave(n ast.Node) (ast.Node, bool) { return v.leave(n) }

func (a *analyzer) cur() int {
	if len(a.stack) == 0 {
		return 0
	}
	return a.stack[len(a.stack)-1]
}

func (a *analyzer) newBlock(n ast.Node) int {
	parent := -1
	if len(a.stack) > 0 {
		parent = a.stack[len(a.stack)-1]
	}
	b := &blockInfo{node: n, parent: parent}
	switch x := n.(type) {
	case *ast.SelectStmt:
		b.where, b.from = x.Where, x.From
	case *ast.UpdateStmt:
		b.where, b.from = x.Where, x.TableRefs
	case *ast.DeleteStmt:
		b.where, b.from = x.Where, x.TableRefs
	case *ast.InsertStmt:
		b.from = x.Table
	}
	if ci, ok := a.cteBody[n]; ok {
		b.cteSelf, b.cteRec = ci.name, ci.recursive
	}
	id := len(a.blocks)
	a.blocks = append(a.blocks, b)
	a.blockOf[n] = id
	a.stack = append(a.stack, id)
	return id
}

// --- pass 1 -----------------------------------------------------------------

func (a *analyzer) enter1(n ast.Node) (ast.Node, bool) {
	switch x := n.(type) {
	case *ast.SelectStmt, *ast.SetOprStmt, *ast.InsertStmt, *ast.UpdateStmt, *ast.DeleteStmt:
		a.newBlock(n)
		if s, ok := x.(*ast.SelectStmt); ok && s.LockInfo != nil {
			for _, t := range s.LockInfo.Tables {
				a.qualNames[t] = 'L'
			}
		}
		if d, ok := x.(*ast.DeleteStmt); ok && d.IsMultiTable && d.Tables != nil {
			for _, t := range d.Tables.Tables {
				a.qualNames[t] = 'D'
			}
		}
	case *ast.WithClause:
		b := a.blocks[a.cur()]
		for _, c := range x.CTEs {
			b.ctes = append(b.ctes, c.Name.L)
			if c.Query != nil && c.Query.Query != nil {
				a.cteBody[c.Query.Query] = cteInfo{name: c.Name.L, recursive: x.IsRecursive || c.IsRecursive}
			}
		}
	case *ast.TableSource:
		switch s := x.Source.(type) {
		case *ast.TableName:
			a.srcAlias[s] = x.AsName.O
		default:
			b := a.blocks[a.cur()]
			b.hasDerive = true
			if x.AsName.L != "" {
				b.derived = append(b.derived, x.AsName.L)
			}
		}
	case *ast.TableName:
		if _, ok := a.qualNames[x]; ok {
			return n, true
		}
		a.cands = append(a.cands, cand{tn: x, block: a.cur(), alias: a.srcAlias[x]})
		return n, false
	case *driver.ParamMarkerExpr:
		a.params = append(a.params, x)
	case *ast.FuncCallExpr:
		if x.FnName.L == "last_insert_id" && len(x.Args) > 0 {
			a.st.LastIDArg = true
		}
		a.noteFunc(x.FnName.L)
	}
	return n, false
}

// noteFunc records a function the statement calls (Statement.Funcs).
func (a *analyzer) noteFunc(name string) {
	for _, f := range a.st.Funcs {
		if f == name {
			return
		}
	}
	a.st.Funcs = append(a.st.Funcs, name)
}

func (a *analyzer) leave1(n ast.Node) (ast.Node, bool) {
	if isBlockNode(n) && len(a.stack) > 0 && a.blocks[a.stack[len(a.stack)-1]].node == n {
		a.stack = a.stack[:len(a.stack)-1]
	}
	return n, true
}

func (a *analyzer) orderParams() {
	sort.SliceStable(a.params, func(i, j int) bool { return a.params[i].Offset < a.params[j].Offset })
	a.paramOrd = make(map[*driver.ParamMarkerExpr]int, len(a.params))
	for i, p := range a.params {
		a.paramOrd[p] = i
	}
	a.st.ParamCount = len(a.params)
}

// cteVisible reports whether an unqualified table name in block b refers to
// a common table expression.
func (a *analyzer) cteVisible(b int, name string) bool {
	child := -1
	for blk := b; blk >= 0; blk = a.blocks[blk].parent {
		for _, c := range a.blocks[blk].ctes {
			if c != name {
				continue
			}
			if child >= 0 && a.blocks[child].cteSelf == name && !a.blocks[child].cteRec {
				continue // a non-recursive CTE does not see itself
			}
			return true
		}
		child = blk
	}
	return false
}

// classify turns candidate table names into table refs (or CTE references).
func (a *analyzer) classify() {
	for _, c := range a.cands {
		if c.tn.Schema.L == "" && a.cteVisible(c.block, c.tn.Name.L) {
			b := a.blocks[c.block]
			b.hasDerive = true
			vis := c.alias
			if vis == "" {
				vis = c.tn.Name.O
			}
			b.derived = append(b.derived, strings.ToLower(vis))
			continue
		}
		idx := len(a.st.Tables)
		a.st.Tables = append(a.st.Tables, TableRef{Schema: c.tn.Schema.O, Name: c.tn.Name.O, Alias: c.alias, Block: c.block})
		a.refOf[c.tn] = idx
		a.blocks[c.block].tables = append(a.blocks[c.block].tables, idx)
	}
}

func (a *analyzer) refIndex(tn *ast.TableName) int {
	if tn == nil {
		return -1
	}
	if i, ok := a.refOf[tn]; ok {
		return i
	}
	return -1
}

// resolveQualifier finds the table a qualifier (schema may be "") names,
// looking from block b outwards. It returns the table ref index, or -2 when
// the name is a derived table / CTE or unknown.
func (a *analyzer) resolveQualifier(b int, schema, table string) int {
	for blk := b; blk >= 0 && blk < len(a.blocks); blk = a.blocks[blk].parent {
		for _, r := range a.blocks[blk].tables {
			ref := &a.st.Tables[r]
			if ref.Alias != "" {
				if schema == "" && strings.EqualFold(ref.Alias, table) {
					return r
				}
				continue
			}
			if strings.EqualFold(ref.Name, table) && (schema == "" || ref.Schema == "" || strings.EqualFold(ref.Schema, schema)) {
				return r
			}
		}
		if schema == "" {
			for _, d := range a.blocks[blk].derived {
				if d == strings.ToLower(table) {
					return -2
				}
			}
		}
	}
	return -2
}
