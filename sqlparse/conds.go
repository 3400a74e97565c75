package sqlparse

import (
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	driver "github.com/pingcap/tidb/pkg/parser/test_driver"

	"github.com/shardline/shardline/sqllex"
)

// --- routing conditions -----------------------------------------------------

func (a *analyzer) buildBlocks() error {
	a.st.Blocks = make([]Block, len(a.blocks))
	for i, b := range a.blocks {
		out := &a.st.Blocks[i]
		out.Parent = b.parent
		out.Tables = b.tables
		out.HasDerived = b.hasDerive
		var conds []*Cond
		if b.from != nil && b.from.TableRefs != nil {
			a.walkJoin(i, b.from.TableRefs, false, &conds, out)
		}
		if b.where != nil {
			conds = append(conds, a.buildCond(i, b.where))
			a.collectEqs(i, b.where, out)
		}
		out.Cond = andConds(conds)
	}
	return nil
}

func (a *analyzer) walkJoin(b int, n ast.ResultSetNode, nullSide bool, conds *[]*Cond, out *Block) {
	j, ok := n.(*ast.Join)
	if !ok {
		return
	}
	leftNull, rightNull := nullSide, nullSide
	switch j.Tp {
	case ast.LeftJoin:
		rightNull = true
	case ast.RightJoin:
		leftNull = true
	}
	if j.Left != nil {
		a.walkJoin(b, j.Left, leftNull, conds, out)
	}
	if j.Right != nil {
		a.walkJoin(b, j.Right, rightNull, conds, out)
	}
	if j.Tp == ast.LeftJoin || j.Tp == ast.RightJoin {
		var oj OuterJoin
		l, lo := a.sourceRefs(j.Left, nil)
		r, ro := a.sourceRefs(j.Right, nil)
		if j.Tp == ast.LeftJoin {
			oj = OuterJoin{Preserved: l, OtherPreserved: lo, Nullable: r, OtherNullable: ro}
		} else {
			oj = OuterJoin{Preserved: r, OtherPreserved: ro, Nullable: l, OtherNullable: lo}
		}
		out.OuterJoins = append(out.OuterJoins, oj)
	}
	if j.On != nil && j.On.Expr != nil {
		a.collectEqs(b, j.On.Expr, out)
		if j.Tp == ast.CrossJoin && !nullSide {
			*conds = append(*conds, a.buildCond(b, j.On.Expr))
		}
	}
	if len(j.Using) > 0 {
		l, r := a.sourceRef(j.Left), a.sourceRef(j.Right)
		if l >= 0 && r >= 0 {
			for _, c := range j.Using {
				out.JoinEqs = append(out.JoinEqs, [2]ColRef{
					{Block: b, Table: l, Name: c.Name.L}, {Block: b, Table: r, Name: c.Name.L}})
			}
		}
	}
}

// sourceRefs lists the base table refs of a join subtree, and whether it has
// other sources (derived tables, CTE references).
func (a *analyzer) sourceRefs(n ast.ResultSetNode, out []int) ([]int, bool) {
	switch x := n.(type) {
	case *ast.Join:
		other := false
		if x.Left != nil {
			var o bool
			out, o = a.sourceRefs(x.Left, out)
			other = other || o
		}
		if x.Right != nil {
			var o bool
			out, o = a.sourceRefs(x.Right, out)
			other = other || o
		}
		return out, other
	case *ast.TableSource:
		if tn, ok := x.Source.(*ast.TableName); ok {
			if r := a.refIndex(tn); r >= 0 {
				return append(out, r), false
			}
		}
	}
	return out, true
}

func (a *analyzer) sourceRef(n ast.ResultSetNode) int {
	if ts, ok := n.(*ast.TableSource); ok {
		if tn, ok := ts.Source.(*ast.TableName); ok {
			return a.refIndex(tn)
		}
	}
	return -1
}

func (a *analyzer) collectEqs(b int, e ast.ExprNode, out *Block) {
	for _, c := range conjuncts(e, nil) {
		be, ok := c.(*ast.BinaryOperationExpr)
		if !ok || (be.Op != opcode.EQ && be.Op != opcode.NullEQ) {
			continue
		}
		l, lok := a.colRef(b, be.L)
		r, rok := a.colRef(b, be.R)
		if lok && rok {
			out.JoinEqs = append(out.JoinEqs, [2]ColRef{l, r})
		}
	}
}

// disjuncts flattens a tree of ORs (and parentheses) into its operands.
func disjuncts(e ast.ExprNode, out []ast.ExprNode) []ast.ExprNode {
	switch x := e.(type) {
	case *ast.ParenthesesExpr:
		return disjuncts(x.Expr, out)
	case *ast.BinaryOperationExpr:
		if x.Op == opcode.LogicOr {
			out = disjuncts(x.L, out)
			return disjuncts(x.R, out)
		}
	}
	return append(out, e)
}

func conjuncts(e ast.ExprNode, out []ast.ExprNode) []ast.ExprNode {
	switch x := e.(type) {
	case *ast.ParenthesesExpr:
		return conjuncts(x.Expr, out)
	case *ast.BinaryOperationExpr:
		if x.Op == opcode.LogicAnd {
			out = conjuncts(x.L, out)
			return conjuncts(x.R, out)
		}
	}
	return append(out, e)
}

func (a *analyzer) colRef(b int, e ast.ExprNode) (ColRef, bool) {
	for {
		p, ok := e.(*ast.ParenthesesExpr)
		if !ok {
			break
		}
		e = p.Expr
	}
	cn, ok := e.(*ast.ColumnNameExpr)
	if !ok || cn.Name == nil {
		return ColRef{}, false
	}
	return a.colRefName(b, cn.Name), true
}

func (a *analyzer) colRefName(b int, cn *ast.ColumnName) ColRef {
	r := ColRef{Block: b, Table: -1, Name: cn.Name.L}
	if cn.Table.L != "" {
		r.Table = a.resolveQualifier(b, cn.Schema.L, cn.Table.L)
	}
	return r
}

func andConds(cs []*Cond) *Cond {
	var kids []*Cond
	for _, c := range cs {
		if c == nil {
			continue
		}
		if c.Op == CondAnd {
			kids = append(kids, c.Kids...)
		} else {
			kids = append(kids, c)
		}
	}
	switch len(kids) {
	case 0:
		return nil
	case 1:
		return kids[0]
	}
	return &Cond{Op: CondAnd, Kids: kids}
}

var swapCmp = map[opcode.Op]opcode.Op{opcode.EQ: opcode.EQ, opcode.NullEQ: opcode.NullEQ,
	opcode.LT: opcode.GT, opcode.LE: opcode.GE, opcode.GT: opcode.LT, opcode.GE: opcode.LE}

var cmpOf = map[opcode.Op]CmpOp{opcode.EQ: CmpEq, opcode.NullEQ: CmpEq, opcode.LT: CmpLt,
	opcode.LE: CmpLe, opcode.GT: CmpGt, opcode.GE: CmpGe}

// buildCond turns an expression into a routing condition; nil means it
// restricts nothing that the router can use.
func (a *analyzer) buildCond(b int, e ast.ExprNode) *Cond {
	switch x := e.(type) {
	case *ast.ParenthesesExpr:
		return a.buildCond(b, x.Expr)
	case *ast.BinaryOperationExpr:
		switch x.Op {
		case opcode.LogicAnd:
			// flattened first: a chain of n ANDs is one node, built in O(n)
			parts := conjuncts(x, nil)
			kids := make([]*Cond, len(parts))
			for i, p := range parts {
				kids[i] = a.buildCond(b, p)
			}
			return andConds(kids)
		case opcode.LogicOr:
			parts := disjuncts(x, nil)
			kids := make([]*Cond, 0, len(parts))
			for _, p := range parts {
				c := a.buildCond(b, p)
				if c == nil {
					return nil
				}
				if c.Op == CondOr {
					kids = append(kids, c.Kids...)
				} else {
					kids = append(kids, c)
				}
			}
			return &Cond{Op: CondOr, Kids: kids}
		case opcode.EQ, opcode.NullEQ, opcode.LT, opcode.LE, opcode.GT, opcode.GE:
			if lr, ok := unparen(x.L).(*ast.RowExpr); ok {
				rr, ok := unparen(x.R).(*ast.RowExpr)
				if !ok || x.Op != opcode.EQ || len(lr.Values) != len(rr.Values) {
					return nil
				}
				var kids []*Cond
				for i := range lr.Values {
					kids = append(kids, a.cmpAtom(b, opcode.EQ, lr.Values[i], rr.Values[i]))
				}
				return andConds(kids)
			}
			return a.cmpAtom(b, x.Op, x.L, x.R)
		}
	case *ast.PatternInExpr:
		if x.Not || x.Sel != nil {
			return nil
		}
		if row, ok := unparen(x.Expr).(*ast.RowExpr); ok {
			var kids []*Cond
			for _, item := range x.List {
				ir, ok := unparen(item).(*ast.RowExpr)
				if !ok || len(ir.Values) != len(row.Values) {
					return nil
				}
				var and []*Cond
				for i := range row.Values {
					and = append(and, a.cmpAtom(b, opcode.EQ, row.Values[i], ir.Values[i]))
				}
				c := andConds(and)
				if c == nil {
					return nil
				}
				kids = append(kids, c)
			}
			if len(kids) == 0 {
				return nil
			}
			return &Cond{Op: CondOr, Kids: kids}
		}
		col, ok := a.colRef(b, x.Expr)
		if !ok {
			return nil
		}
		vals := make([]Value, 0, len(x.List))
		for _, item := range x.List {
			v := a.value(item)
			switch v.Kind {
			case ValExpr, ValDefault:
				return nil
			case ValNull:
				continue // never equal
			}
			vals = append(vals, v)
		}
		if len(vals) == 0 {
			return nil
		}
		return &Cond{Op: CondAtom, Col: col, Cmp: CmpIn, Vals: vals}
	case *ast.BetweenExpr:
		if x.Not {
			return nil
		}
		col, ok := a.colRef(b, x.Expr)
		if !ok {
			return nil
		}
		lo, hi := a.value(x.Left), a.value(x.Right)
		if !routable(lo) || !routable(hi) {
			return nil
		}
		return &Cond{Op: CondAtom, Col: col, Cmp: CmpBetween, Vals: []Value{lo, hi}}
	}
	return nil
}

func routable(v Value) bool {
	return v.Kind == ValLiteral || v.Kind == ValParam || v.Kind == ValConst
}

func unparen(e ast.ExprNode) ast.ExprNode {
	for {
		p, ok := e.(*ast.ParenthesesExpr)
		if !ok {
			return e
		}
		e = p.Expr
	}
}

func (a *analyzer) cmpAtom(b int, op opcode.Op, l, r ast.ExprNode) *Cond {
	lc, lok := a.colRef(b, l)
	rc, rok := a.colRef(b, r)
	switch {
	case lok && rok:
		if op == opcode.EQ || op == opcode.NullEQ {
			return &Cond{Op: CondColEq, Col: lc, Col2: rc}
		}
		return nil
	case rok:
		op = swapCmp[op]
		lc, r = rc, l
	case !lok:
		return nil
	}
	v := a.value(r)
	if !routable(v) {
		return nil
	}
	return &Cond{Op: CondAtom, Col: lc, Cmp: cmpOf[op], Vals: []Value{v}}
}

// value turns a literal, a signed literal or a parameter marker into a
// Value; anything else is ValExpr. A literal is recorded by its token: its
// value is read from the text at plan time.
func (a *analyzer) value(e ast.ExprNode) Value {
	switch x := unparen(e).(type) {
	case *driver.ParamMarkerExpr:
		return Value{Kind: ValParam, P: a.paramOrd[x]}
	case *driver.ValueExpr:
		return a.literal(x)
	case *ast.DefaultExpr:
		if x.Name == nil {
			return Value{Kind: ValDefault}
		}
		return Value{}
	case *ast.UnaryOperationExpr:
		if x.Op != opcode.Minus && x.Op != opcode.Plus {
			return Value{}
		}
		v := a.value(x.V)
		if v.Kind != ValLiteral || !isNumberToken(a.t.kind(v.Tok)) {
			return Value{} // a sign before a string or hex value converts it: not a plain literal
		}
		if x.Op == opcode.Minus {
			v.Neg = !v.Neg
		}
		return v
	}
	return Value{}
}

func isNumberToken(k sqllex.Kind) bool {
	return k == sqllex.Int || k == sqllex.Decimal || k == sqllex.Float
}

// literal maps a value the parser read to the text: a literal token (or an
// introducer before one), NULL, TRUE or FALSE. A value without a token of
// its own (a typed literal such as DATE '...') is ValExpr.
func (a *analyzer) literal(x *driver.ValueExpr) Value {
	tok := a.p.tokenAt(x.OriginTextPosition())
	if tok < 0 {
		return Value{}
	}
	switch k := a.t.kind(tok); {
	case k.IsLiteral() || k == sqllex.Introducer:
		return Value{Kind: ValLiteral, Tok: tok}
	case a.t.is(tok, "null"):
		return Value{Kind: ValNull}
	case a.t.is(tok, "true"):
		return Value{Kind: ValConst, I: 1}
	case a.t.is(tok, "false"):
		return Value{Kind: ValConst, I: 0}
	}
	return Value{}
}
