package sqlparse

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
)

// lastIDColumns returns the result column names of a SELECT that only reads
// the session's last insert id (LAST_INSERT_ID(), @@last_insert_id,
// @@identity), or nil for any other SELECT.
func lastIDColumns(x *ast.SelectStmt) []string {
	if x.Fields == nil || len(x.Fields.Fields) == 0 || x.Where != nil || x.GroupBy != nil ||
		x.Having != nil || x.OrderBy != nil || x.Limit != nil || x.With != nil || x.LockInfo != nil || x.Kind != ast.SelectStmtKindSelect {
		return nil
	}
	if x.From != nil {
		if ts, ok := x.From.TableRefs.Left.(*ast.TableSource); !ok || x.From.TableRefs.Right != nil {
			return nil
		} else if tn, ok := ts.Source.(*ast.TableName); !ok || tn.Name.L != "dual" || tn.Schema.L != "" {
			return nil
		}
	}
	cols := make([]string, 0, len(x.Fields.Fields))
	for _, f := range x.Fields.Fields {
		if f.WildCard != nil || !isLastID(f.Expr) {
			return nil
		}
		name := f.AsName.O
		if name == "" {
			name = strings.TrimSpace(f.Text())
		}
		cols = append(cols, name)
	}
	return cols
}

// isLastID reports LAST_INSERT_ID() (no argument), @@last_insert_id or
// @@identity (session scope).
func isLastID(e ast.ExprNode) bool {
	switch x := unparen(e).(type) {
	case *ast.FuncCallExpr:
		return x.FnName.L == "last_insert_id" && len(x.Args) == 0
	case *ast.VariableExpr:
		n := strings.ToLower(x.Name)
		return x.IsSystem && !x.IsGlobal && (n == "last_insert_id" || n == "identity")
	}
	return false
}
