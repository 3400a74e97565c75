package sqlparse

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	driver "github.com/pingcap/tidb/pkg/parser/test_driver"
)

// analyzer holds the state of one analysis. Every AST pointer it holds
// dies with it.
type analyzer struct {
	// shareLock is the top-level SELECT whose LOCK IN SHARE MODE was taken
	// off the AST: TiDB restores it as FOR SHARE, which MariaDB rejects, so
	// restore appends MariaDB's (and MySQL's) older spelling instead.
	shareLock ast.Node
	sql       string
	st        *Statement
	root      ast.Node
	nonce     string

	blocks  []*blockInfo
	blockOf map[ast.Node]int
	stack   []int

	srcAlias  map[*ast.TableName]string // table names that are FROM sources -> alias
	qualNames map[*ast.TableName]byte   // names referring to a FROM source: 'D' delete list, 'L' lock of
	cands     []cand
	refOf     map[*ast.TableName]int
	cteBody   map[ast.Node]cteInfo

	params   []*driver.ParamMarkerExpr
	paramOrd map[*driver.ParamMarkerExpr]int

	holes []Hole
}

type cand struct {
	tn    *ast.TableName
	block int
	alias string
}

type cteInfo struct {
	name      string
	recursive bool
}

type blockInfo struct {
	node      ast.Node
	parent    int
	where     ast.ExprNode
	from      *ast.TableRefsClause
	ctes      []string
	cteSelf   string
	cteRec    bool
	derived   []string // visible names of derived tables and CTE references
	tables    []int
	hasDerive bool
}

func analyze(sql string, root ast.StmtNode) (*Statement, error) {
	a := &analyzer{
		sql:       sql,
		st:        &Statement{SQL: sql, MainTable: -1},
		blockOf:   map[ast.Node]int{},
		srcAlias:  map[*ast.TableName]string{},
		qualNames: map[*ast.TableName]byte{},
		refOf:     map[*ast.TableName]int{},
		cteBody:   map[ast.Node]cteInfo{},
	}
	var nb [7]byte
	for i := 1; i < len(nb); i++ {
		nb[i] = byte('a' + rand.IntN(26))
	}
	a.nonce = string(nb[:])

	if ex, ok := root.(*ast.ExplainStmt); ok {
		if sh, ok := ex.Stmt.(*ast.ShowStmt); ok {
			root = sh // DESCRIBE t
		} else {
			if ex.Analyze {
				return a.unsupported("EXPLAIN ANALYZE")
			}
			switch strings.ToLower(ex.Format) {
			case "json":
				a.st.Explain = "EXPLAIN FORMAT=JSON "
			case "tree":
				a.st.Explain = "EXPLAIN FORMAT=TREE "
			default:
				a.st.Explain = "EXPLAIN "
			}
			root = ex.Stmt
			switch root.(type) {
			case *ast.SelectStmt, *ast.SetOprStmt, *ast.InsertStmt, *ast.UpdateStmt, *ast.DeleteStmt:
			default:
				return a.unsupported("EXPLAIN of this statement")
			}
		}
	}
	a.root = root
	st := a.st

	// Statements without tables first.
	switch x := root.(type) {
	case *ast.BeginStmt:
		if x.AsOf != nil || x.CausalConsistencyOnly || x.Mode != "" {
			return a.unsupported("this form of START TRANSACTION")
		}
		st.Kind = KindBegin
		st.ReadOnly = x.ReadOnly
		return st, nil
	case *ast.CommitStmt:
		if x.CompletionType != ast.CompletionTypeDefault {
			return a.unsupported("COMMIT AND CHAIN / RELEASE")
		}
		st.Kind = KindCommit
		return st, nil
	case *ast.RollbackStmt:
		if x.CompletionType != ast.CompletionTypeDefault {
			return a.unsupported("ROLLBACK AND CHAIN / RELEASE")
		}
		if x.SavepointName != "" {
			st.Kind = KindSavepoint
		} else {
			st.Kind = KindRollback
		}
		return st, nil
	case *ast.SavepointStmt, *ast.ReleaseSavepointStmt:
		st.Kind = KindSavepoint
		return st, nil
	case *ast.UseStmt:
		st.Kind = KindUse
		st.DB = x.DBName
		return st, nil
	case *ast.KillStmt:
		if x.Expr != nil || x.TiDBExtension {
			return a.unsupported("this form of KILL (use KILL [CONNECTION | QUERY] <id>)")
		}
		st.Kind, st.KillID, st.KillQuery = KindKill, x.ConnectionID, x.Query
		return st, nil
	case *ast.SelectStmt:
		if x.SelectIntoOpt != nil {
			return a.unsupported("SELECT ... INTO")
		}
		if x.Kind != ast.SelectStmtKindSelect {
			return a.unsupported("TABLE / VALUES statements")
		}
		st.Kind = KindSelect
	case *ast.SetOprStmt:
		st.Kind = KindUnion
		st.TopBlock = -1
	case *ast.InsertStmt:
		st.Kind = KindInsert
		st.Write = true
	case *ast.UpdateStmt:
		st.Kind = KindUpdate
		st.Write = true
	case *ast.DeleteStmt:
		st.Kind = KindDelete
		st.Write = true
	case *ast.DoStmt:
		st.Kind = KindDo
	case *ast.CreateTableStmt:
		st.Kind = KindCreateTable
		st.Engine = engineOf(x.Options)
		if x.ReferTable != nil {
			st.ShardedUnsupported = "CREATE TABLE ... LIKE on a sharded table"
		}
		if x.Select != nil {
			st.ShardedUnsupported = "CREATE TABLE ... SELECT with a sharded table"
		}
	case *ast.AlterTableStmt:
		st.Kind = KindAlterTable
		for _, sp := range x.Specs {
			if sp.Tp == ast.AlterTableOption {
				if e := engineOf(sp.Options); e != "" {
					st.Engine = e
				}
			}
			if sp.Tp == ast.AlterTableRenameTable {
				st.Rename = true
				st.ShardedUnsupported = "ALTER TABLE ... RENAME of a sharded table"
			}
		}
	case *ast.DropTableStmt:
		if x.IsView {
			st.Kind = KindDropView
		} else {
			st.Kind = KindDropTable
		}
	case *ast.TruncateTableStmt:
		st.Kind = KindTruncate
	case *ast.CreateIndexStmt:
		st.Kind = KindCreateIndex
	case *ast.DropIndexStmt:
		st.Kind = KindDropIndex
	case *ast.RenameTableStmt:
		st.Kind = KindRenameTable
		st.Rename = true
		st.ShardedUnsupported = "RENAME TABLE of a sharded table"
	case *ast.CreateViewStmt:
		st.Kind = KindCreateView
		st.ShardedUnsupported = "CREATE VIEW over a sharded table"
	case *ast.CreateDatabaseStmt:
		st.Kind = KindCreateDatabase
		st.DB = x.Name.O
		x.Name = ast.NewCIStr(a.holeMarker(Hole{Kind: HoleDatabase, Default: QuoteName(x.Name.O)}))
		return a.finishDatabase(x)
	case *ast.DropDatabaseStmt:
		st.Kind = KindDropDatabase
		st.DB = x.Name.O
		x.Name = ast.NewCIStr(a.holeMarker(Hole{Kind: HoleDatabase, Default: QuoteName(x.Name.O)}))
		return a.finishDatabase(x)
	case *ast.AlterDatabaseStmt:
		st.Kind = KindAlterDatabase
		if x.AlterDefaultDatabase {
			return a.unsupported("ALTER DATABASE without a database name")
		}
		st.DB = x.Name.O
		x.Name = ast.NewCIStr(a.holeMarker(Hole{Kind: HoleDatabase, Default: QuoteName(x.Name.O)}))
		return a.finishDatabase(x)
	case *ast.ShowStmt:
		st.Kind = KindShow
		if msg := a.prepareShow(x); msg != "" {
			return a.unsupported(msg)
		}
	case *ast.SetStmt:
		st.Kind = KindSet
	default:
		return a.unsupported(stmtName(root))
	}

	// Pass 1: blocks, table sources, CTEs, parameter markers.
	if !isBlockNode(root) {
		a.newBlock(root)
	}
	root.Accept(&visitor{enter: a.enter1, leave: a.leave1})
	a.orderParams()
	a.classify()
	if err := a.buildBlocks(); err != nil {
		return nil, err
	}

	// Statement-specific analysis that needs values (before markers).
	var sp *scatterPlan
	switch x := root.(type) {
	case *ast.SelectStmt:
		st.LastIDColumns = lastIDColumns(x)
		if x.From != nil && x.SelectStmtOpts != nil && x.SelectStmtOpts.CalcFoundRows {
			st.ScatterErr = "SQL_CALC_FOUND_ROWS across shards"
		} else if x.From != nil {
			var err string
			sp, err = a.planScatter(x)
			st.ScatterErr = err
		}
	case *ast.InsertStmt:
		if err := a.analyzeInsert(x); err != nil {
			return nil, err
		}
	case *ast.UpdateStmt:
		a.analyzeUpdate(x)
	case *ast.DeleteStmt:
		a.analyzeDelete(x)
	case *ast.CreateTableStmt:
		a.st.MainTable = a.refIndex(x.Table)
	case *ast.AlterTableStmt:
		a.st.MainTable = a.refIndex(x.Table)
	case *ast.TruncateTableStmt:
		a.st.MainTable = a.refIndex(x.Table)
	case *ast.CreateIndexStmt:
		a.st.MainTable = a.refIndex(x.Table)
	case *ast.DropIndexStmt:
		a.st.MainTable = a.refIndex(x.Table)
	case *ast.ShowStmt:
		if x.Table != nil {
			a.st.MainTable = a.refIndex(x.Table)
		}
	case *ast.SetStmt:
		if err := a.analyzeSet(x); err != nil {
			return nil, err
		}
	}

	// Pass 2: markers for table names, qualifiers and parameters.
	a.stack = a.stack[:0]
	if !isBlockNode(root) {
		a.stack = append(a.stack, 0)
	}
	root.Accept(&visitor{enter: a.enter2, leave: a.leave2})

	if st.Kind == KindSet {
		return st, a.finishSet(root.(*ast.SetStmt))
	}
	nameSelectFields(root, a.isValueMarker)
	if sel, ok := root.(*ast.SelectStmt); ok && sel.LockInfo != nil && sel.LockInfo.LockType == ast.SelectLockForShare {
		sel.LockInfo, a.shareLock = nil, sel
	}
	tpl, err := a.restore(root)
	if err != nil {
		return nil, err
	}
	st.Template = tpl

	switch x := root.(type) {
	case *ast.SelectStmt:
		if sp != nil {
			if err := a.applyScatter(sp, tpl); err != nil {
				return nil, err
			}
		}
	case *ast.InsertStmt:
		if err := a.splitInsert(x); err != nil {
			return nil, err
		}
	case *ast.DropTableStmt:
		if len(x.Tables) > 1 {
			all := x.Tables
			for _, t := range all {
				x.Tables = []*ast.TableName{t}
				dt, err := a.restore(x)
				if err != nil {
					return nil, err
				}
				st.DropTemplates = append(st.DropTemplates, dt)
			}
			x.Tables = all
		}
	case *ast.ShowStmt:
		if x.Where != nil && st.Show != nil {
			w, err := a.restore(x.Where)
			if err != nil {
				return nil, err
			}
			st.Show.Where = w.Text()
		}
	}
	return st, nil
}

func (a *analyzer) unsupported(what string) (*Statement, error) {
	a.st.Kind = KindUnsupported
	a.st.Unsupported = what
	return a.st, nil
}

// engineOf returns the ENGINE= table option, "" when none is given.
func engineOf(opts []*ast.TableOption) string {
	for _, o := range opts {
		if o.Tp == ast.TableOptionEngine {
			return o.StrValue
		}
	}
	return ""
}

func stmtName(n ast.Node) string {
	switch n.(type) {
	case *ast.LoadDataStmt:
		return "LOAD DATA"
	case *ast.LockTablesStmt:
		return "LOCK TABLES"
	case *ast.UnlockTablesStmt:
		return "UNLOCK TABLES"
	case *ast.CallStmt:
		return "CALL (stored procedures)"
	case *ast.PrepareStmt:
		return "PREPARE (SQL prepared statements; use the binary protocol)"
	case *ast.ExecuteStmt:
		return "EXECUTE (SQL prepared statements; use the binary protocol)"
	case *ast.DeallocateStmt:
		return "DEALLOCATE PREPARE"
	case *ast.FlushStmt:
		return "FLUSH"
	case *ast.KillStmt:
		return "KILL"
	case *ast.GrantStmt, *ast.GrantRoleStmt:
		return "GRANT"
	case *ast.RevokeStmt, *ast.RevokeRoleStmt:
		return "REVOKE"
	case *ast.CreateUserStmt, *ast.AlterUserStmt, *ast.DropUserStmt:
		return "user management statements"
	case *ast.SetPwdStmt:
		return "SET PASSWORD"
	case *ast.AnalyzeTableStmt:
		return "ANALYZE TABLE"
	case *ast.ExplainStmt:
		return "EXPLAIN of this statement"
	case *ast.ProcedureInfo, *ast.DropProcedureStmt:
		return "stored procedures"
	case *ast.CreateSequenceStmt, *ast.DropSequenceStmt, *ast.AlterSequenceStmt:
		return "sequences"
	case *ast.SetRoleStmt, *ast.SetDefaultRoleStmt:
		return "SET ROLE"
	}
	name := strings.TrimPrefix(strings.TrimPrefix(typeName(n), "*ast."), "ast.")
	name = strings.TrimSuffix(name, "Stmt")
	return "the " + name + " statement"
}

func isBlockNode(n ast.Node) bool {
	switch n.(type) {
	case *ast.SelectStmt, *ast.SetOprStmt, *ast.InsertStmt, *ast.UpdateStmt, *ast.DeleteStmt:
		return true
	}
	return false
}

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
			case ValExpr, ValHex:
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
	return v.Kind != ValExpr && v.Kind != ValNull && v.Kind != ValHex
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
// Value; anything else is ValExpr.
func (a *analyzer) value(e ast.ExprNode) Value {
	switch x := unparen(e).(type) {
	case *driver.ParamMarkerExpr:
		return Value{Kind: ValParam, P: a.paramOrd[x]}
	case *driver.ValueExpr:
		return datumValue(x)
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
		if x.Op == opcode.Plus {
			switch v.Kind {
			case ValInt, ValUint, ValFloat, ValDecimal:
				return v
			}
			return Value{}
		}
		return negate(v)
	}
	return Value{}
}

func negate(v Value) Value {
	switch v.Kind {
	case ValInt:
		if v.I == -1<<63 {
			return Value{Kind: ValDecimal, S: "9223372036854775808"}
		}
		return Value{Kind: ValInt, I: -v.I}
	case ValUint:
		if v.U == 1<<63 {
			return Value{Kind: ValInt, I: -1 << 63}
		}
		return Value{Kind: ValDecimal, S: "-" + strconv.FormatUint(v.U, 10)}
	case ValFloat:
		return Value{Kind: ValFloat, F: -v.F}
	case ValDecimal:
		if strings.HasPrefix(v.S, "-") {
			return Value{Kind: ValDecimal, S: v.S[1:]}
		}
		return Value{Kind: ValDecimal, S: "-" + v.S}
	}
	return Value{}
}

func datumValue(x *driver.ValueExpr) Value {
	switch x.Kind() {
	case driver.KindNull:
		return Value{Kind: ValNull}
	case driver.KindInt64:
		return Value{Kind: ValInt, I: x.GetInt64()}
	case driver.KindUint64:
		u := x.GetUint64()
		if u <= 1<<63-1 {
			return Value{Kind: ValInt, I: int64(u)}
		}
		return Value{Kind: ValUint, U: u}
	case driver.KindFloat32, driver.KindFloat64:
		return Value{Kind: ValFloat, F: x.GetFloat64()}
	case driver.KindMysqlDecimal:
		return Value{Kind: ValDecimal, S: x.GetMysqlDecimal().String()}
	case driver.KindString, driver.KindBytes:
		return Value{Kind: ValString, S: x.GetString()}
	case driver.KindBinaryLiteral:
		return Value{Kind: ValHex, S: string(x.GetBinaryLiteral())}
	}
	return Value{}
}

// --- pass 2 -----------------------------------------------------------------

func (a *analyzer) holeMarker(h Hole) string {
	id := len(a.holes)
	a.holes = append(a.holes, h)
	var kind byte
	switch h.Kind {
	case HoleTable:
		kind = mkTable
	case HoleQualifier:
		kind = mkQualifier
	case HoleLimit:
		kind = mkLimit
	case HoleRows:
		kind = mkRows
	case HoleDatabase:
		kind = mkDatabase
	case HoleColumns:
		kind = mkColumns
	case HoleValueSep:
		kind = mkValueSep
	case HoleLastID:
		kind = mkLastID
	case HoleConnID:
		kind = mkConnID
	}
	return a.nonce + string(kind) + strconv.Itoa(id)
}

// isValueMarker reports a marker that the router replaces with a value
// (the session's last insert id or connection id).
func (a *analyzer) isValueMarker(e ast.ExprNode) bool {
	c, ok := e.(*ast.ColumnNameExpr)
	if !ok || c.Name == nil || c.Name.Table.L != "" {
		return false
	}
	rest, ok := strings.CutPrefix(c.Name.Name.O, a.nonce)
	return ok && rest != "" && (rest[0] == mkLastID || rest[0] == mkConnID)
}

func (a *analyzer) markerExpr(s string) ast.ExprNode {
	return &ast.ColumnNameExpr{Name: &ast.ColumnName{Name: ast.NewCIStr(s)}}
}

func tableText(schema, name string) string {
	if schema != "" {
		return QuoteName(schema) + "." + QuoteName(name)
	}
	return QuoteName(name)
}

func (a *analyzer) enter2(n ast.Node) (ast.Node, bool) {
	switch x := n.(type) {
	case *ast.SelectField:
		if x.Expr != nil && x.AsName.L == "" && isLastID(x.Expr) {
			// the value replaces the call: keep the column name MySQL gives
			x.AsName = ast.NewCIStr(strings.TrimSpace(x.Text()))
		}
	case *ast.SelectStmt, *ast.SetOprStmt, *ast.InsertStmt, *ast.UpdateStmt, *ast.DeleteStmt:
		if id, ok := a.blockOf[n]; ok {
			a.stack = append(a.stack, id)
		}
	case *ast.TableName:
		if idx, ok := a.refOf[x]; ok {
			def := tableText(x.Schema.O, x.Name.O)
			x.Schema = ast.CIStr{}
			x.Name = ast.NewCIStr(a.holeMarker(Hole{Kind: HoleTable, Ref: idx, Default: def}))
			return n, true
		}
		if kind, ok := a.qualNames[x]; ok {
			r := a.resolveQualifier(a.cur(), x.Schema.L, x.Name.L)
			if r >= 0 && a.st.Tables[r].Alias == "" {
				def := tableText(x.Schema.O, x.Name.O)
				if kind == 'D' {
					x.Name = ast.NewCIStr(a.holeMarker(Hole{Kind: HoleTable, Ref: r, Default: def}))
				} else {
					x.Name = ast.NewCIStr(a.holeMarker(Hole{Kind: HoleQualifier, Ref: r, Schema: x.Schema.L != "", Default: def}))
				}
				x.Schema = ast.CIStr{}
			}
			return n, true
		}
	case *ast.ColumnName:
		if x.Table.L != "" {
			r := a.resolveQualifier(a.cur(), x.Schema.L, x.Table.L)
			if r >= 0 && a.st.Tables[r].Alias == "" {
				def := tableText(x.Schema.O, x.Table.O)
				x.Table = ast.NewCIStr(a.holeMarker(Hole{Kind: HoleQualifier, Ref: r, Schema: x.Schema.L != "", Default: def}))
				x.Schema = ast.CIStr{}
			}
		}
	case *ast.WildCardField:
		if x.Table.L != "" {
			r := a.resolveQualifier(a.cur(), x.Schema.L, x.Table.L)
			if r >= 0 && a.st.Tables[r].Alias == "" {
				def := tableText(x.Schema.O, x.Table.O)
				x.Table = ast.NewCIStr(a.holeMarker(Hole{Kind: HoleQualifier, Ref: r, Schema: x.Schema.L != "", Default: def}))
				x.Schema = ast.CIStr{}
			}
		}
	}
	return n, false
}

func (a *analyzer) leave2(n ast.Node) (ast.Node, bool) {
	switch x := n.(type) {
	case *ast.SelectStmt, *ast.SetOprStmt, *ast.InsertStmt, *ast.UpdateStmt, *ast.DeleteStmt:
		if _, ok := a.blockOf[n]; ok && len(a.stack) > 0 {
			a.stack = a.stack[:len(a.stack)-1]
		}
	case *driver.ParamMarkerExpr:
		return a.markerExpr(a.nonce + string(mkParam) + strconv.Itoa(a.paramOrd[x])), true
	case *ast.FuncCallExpr, *ast.VariableExpr:
		if isLastID(x.(ast.ExprNode)) {
			a.st.UsesLastID = true
			return a.markerExpr(a.holeMarker(Hole{Kind: HoleLastID, Default: "LAST_INSERT_ID()"})), true
		}
		if f, ok := x.(*ast.FuncCallExpr); ok && f.FnName.L == "connection_id" && len(f.Args) == 0 {
			a.st.UsesConnID = true
			return a.markerExpr(a.holeMarker(Hole{Kind: HoleConnID, Default: "CONNECTION_ID()"})), true
		}
	}
	return n, true
}

// nameSelectFields gives every top-level select expression that is not a
// column, a literal or a parameter its original text as alias. A server
// names such a column after the text the client wrote (COUNT(*),
// sum(amount)); the restored SQL sent to the shards spells it differently
// (COUNT(1), SUM(`amount`)), so without the alias clients that read columns
// by name would see other names through the proxy.
//
// A value written in by the router (isValue: LAST_INSERT_ID(),
// CONNECTION_ID()) is named after its text too, not after the number.
func nameSelectFields(root ast.Node, isValue func(ast.ExprNode) bool) {
	sel, ok := root.(*ast.SelectStmt)
	if !ok {
		if so, isSet := root.(*ast.SetOprStmt); isSet && so.SelectList != nil && len(so.SelectList.Selects) > 0 {
			sel, ok = so.SelectList.Selects[0].(*ast.SelectStmt)
		}
	}
	if !ok || sel.Fields == nil {
		return
	}
	for _, f := range sel.Fields.Fields {
		if f.WildCard != nil || f.AsName.L != "" || f.Expr == nil {
			continue
		}
		switch f.Expr.(type) {
		case *ast.ColumnNameExpr:
			if !isValue(f.Expr) {
				continue
			}
		case ast.ValueExpr, ast.ParamMarkerExpr:
			continue
		}
		text := strings.TrimSpace(f.Text())
		if text == "" || len(text) > 255 {
			continue
		}
		f.AsName = ast.NewCIStr(text)
	}
}

// restore writes a node with markers and splits it into a Template.
func (a *analyzer) restore(n ast.Node) (*Template, error) {
	var b strings.Builder
	b.Grow(len(a.sql) + 32)
	if err := n.Restore(format.NewRestoreCtx(RestoreFlags, &b)); err != nil {
		return nil, Unsupported("this statement (cannot restore it: " + err.Error() + ")")
	}
	if n == a.shareLock {
		b.WriteString(" LOCK IN SHARE MODE")
	}
	return a.split(b.String())
}

func (a *analyzer) restoreExprs(list []ast.ExprNode) (*Template, error) {
	var b strings.Builder
	ctx := format.NewRestoreCtx(RestoreFlags, &b)
	for i, e := range list {
		if i > 0 {
			b.WriteString("`" + a.holeMarker(Hole{Kind: HoleValueSep, Default: ","}) + "`")
		}
		if err := e.Restore(ctx); err != nil {
			return nil, Unsupported("this statement (cannot restore it: " + err.Error() + ")")
		}
	}
	return a.split(b.String())
}

// split turns restored text into a Template: "`\x00<nonce><kind><id>\x00`"
// sequences are markers; other text (even with NUL bytes) is copied.
func (a *analyzer) split(s string) (*Template, error) {
	prefix := "`" + a.nonce
	t := &Template{}
	var cur strings.Builder
	var params []int
	for {
		i := strings.Index(s, prefix)
		if i < 0 {
			cur.WriteString(s)
			break
		}
		rest := s[i+len(prefix):]
		end := strings.IndexByte(rest, '`')
		if end < 2 {
			cur.WriteString(s[:i+len(prefix)])
			s = rest
			continue
		}
		kind := rest[0]
		id, err := strconv.Atoi(rest[1:end])
		if err != nil {
			cur.WriteString(s[:i+len(prefix)])
			s = rest
			continue
		}
		cur.WriteString(s[:i])
		s = rest[end+1:]
		if kind == mkParam {
			cur.WriteByte('?')
			params = append(params, id)
			continue
		}
		if id < 0 || id >= len(a.holes) {
			return nil, Unsupported("this statement (bad marker)")
		}
		t.Parts = append(t.Parts, cur.String())
		t.Params = append(t.Params, params)
		t.Holes = append(t.Holes, a.holes[id])
		cur.Reset()
		params = nil
	}
	t.Parts = append(t.Parts, cur.String())
	t.Params = append(t.Params, params)
	// A NUL byte left in the text can only be inside a string literal
	// (identifiers cannot hold one): write it as the escape \0.
	for i, p := range t.Parts {
		if strings.IndexByte(p, 0) >= 0 {
			t.Parts[i] = strings.ReplaceAll(p, "\x00", `\0`)
		}
	}
	for i := range t.Holes {
		if strings.IndexByte(t.Holes[i].Default, 0) >= 0 {
			t.Holes[i].Default = strings.ReplaceAll(t.Holes[i].Default, "\x00", `\0`)
		}
	}
	return t, nil
}

func typeName(n any) string {
	return strings.TrimPrefix(fmt.Sprintf("%T", n), "*")
}
