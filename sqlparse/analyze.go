package sqlparse

import (
	"fmt"
	"strings"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/pingcap/tidb/pkg/parser/ast"
	driver "github.com/pingcap/tidb/pkg/parser/test_driver"
)

// analyzer holds the state of one analysis. Every AST pointer it holds
// dies with it.
type analyzer struct {
	t   *Text
	p   *parsed
	loc *located
	st  *Statement

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

	edits []Edit
	// failed records the first place the analysis could not map back to
	// the text (an edit that must be made where the two readings
	// disagree): the statement is refused.
	failed string
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

// analyzeText parses t and analyses it.
func analyzeText(t *Text, o *Options) (st *Statement, err error) {
	if len(t.Toks) == 0 {
		return nil, mysql.NewError(mysql.ER_EMPTY_QUERY, "Query was empty")
	}
	p, err := parse(t, o, nil)
	if err != nil {
		if t.is(0, "xa") {
			return nil, Unsupported("XA statements from clients (Shardline runs XA itself)")
		}
		return nil, err
	}
	defer p.release()
	defer func() {
		if r := recover(); r != nil {
			st, err = nil, Unsupported(fmt.Sprintf("this statement (analysis failed: %v)", r))
		}
	}()
	normalizeShow(p.root)
	loc, err := locate(t, o, p.root)
	if err != nil {
		return nil, err
	}
	a := &analyzer{
		t:         t,
		p:         p,
		loc:       loc,
		st:        &Statement{MainTable: -1},
		blockOf:   map[ast.Node]int{},
		srcAlias:  map[*ast.TableName]string{},
		qualNames: map[*ast.TableName]byte{},
		refOf:     map[*ast.TableName]int{},
		cteBody:   map[ast.Node]cteInfo{},
	}
	st, err = a.analyze(p.root)
	if err != nil {
		return nil, err
	}
	if a.failed != "" && st.Kind != KindUnsupported {
		return a.unsupported(a.failed)
	}
	return st, nil
}

func (a *analyzer) analyze(root ast.StmtNode) (*Statement, error) {
	if ex, ok := root.(*ast.ExplainStmt); ok {
		if sh, ok := ex.Stmt.(*ast.ShowStmt); ok {
			root = sh // DESCRIBE t
		} else {
			if ex.Analyze {
				return a.unsupported("EXPLAIN ANALYZE")
			}
			a.st.Explain = true
			root = ex.Stmt
			switch root.(type) {
			case *ast.SelectStmt, *ast.SetOprStmt, *ast.InsertStmt, *ast.UpdateStmt, *ast.DeleteStmt:
			default:
				return a.unsupported("EXPLAIN of this statement")
			}
		}
	}
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
		st.Kind, st.KillQuery = KindKill, x.Query
		st.KillID = a.killID()
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
		return a.finishDatabase()
	case *ast.DropDatabaseStmt:
		st.Kind = KindDropDatabase
		st.DB = x.Name.O
		return a.finishDatabase()
	case *ast.AlterDatabaseStmt:
		st.Kind = KindAlterDatabase
		if x.AlterDefaultDatabase {
			return a.unsupported("ALTER DATABASE without a database name")
		}
		st.DB = x.Name.O
		return a.finishDatabase()
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

	switch x := root.(type) {
	case *ast.SelectStmt:
		st.LastIDColumns = a.lastIDColumns(x)
		if x.From != nil {
			st.Select, st.SelectErr = a.selectInfo(x)
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
		st.MainTable = a.refIndex(x.Table)
	case *ast.AlterTableStmt:
		st.MainTable = a.refIndex(x.Table)
	case *ast.TruncateTableStmt:
		st.MainTable = a.refIndex(x.Table)
	case *ast.CreateIndexStmt:
		st.MainTable = a.refIndex(x.Table)
	case *ast.DropIndexStmt:
		st.MainTable = a.refIndex(x.Table)
	case *ast.DropTableStmt:
		a.dropTables(x)
	case *ast.ShowStmt:
		if x.Table != nil {
			st.MainTable = a.refIndex(x.Table)
		}
		a.showValues(x)
	case *ast.SetStmt:
		if err := a.analyzeSet(x); err != nil {
			return nil, err
		}
	}

	// Pass 2: where the router edits the text.
	a.stack = a.stack[:0]
	if !isBlockNode(root) {
		a.stack = append(a.stack, 0)
	}
	root.Accept(&visitor{enter: a.enter2, leave: a.leave2})
	if sel, ok := root.(*ast.SelectStmt); ok {
		a.aliasChangedFields(sel)
	}
	st.Template = newTemplate(a.edits)
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

func typeName(n any) string {
	return strings.TrimPrefix(fmt.Sprintf("%T", n), "*")
}
