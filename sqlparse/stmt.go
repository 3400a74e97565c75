package sqlparse

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
	driver "github.com/pingcap/tidb/pkg/parser/test_driver"
)

func (a *analyzer) prepareShow(x *ast.ShowStmt) string {
	info := &ShowInfo{Full: x.Full}
	switch x.Tp {
	case ast.ShowDatabases:
		info.Kind = ShowDatabases
	case ast.ShowTables:
		info.Kind = ShowTables
		info.DB = x.DBName
	case ast.ShowColumns:
		info.Kind = ShowColumns
	case ast.ShowIndex:
		info.Kind = ShowIndex
	case ast.ShowCreateTable:
		info.Kind = ShowCreateTable
	case ast.ShowTableStatus:
		info.Kind = ShowTableStatus
		info.DB = x.DBName
	case ast.ShowWarnings, ast.ShowErrors, ast.ShowVariables, ast.ShowStatus, ast.ShowCharset,
		ast.ShowCollation, ast.ShowEngines, ast.ShowGrants, ast.ShowProcessList,
		ast.ShowCreateDatabase, ast.ShowCreateView, ast.ShowTriggers, ast.ShowEvents,
		ast.ShowProcedureStatus, ast.ShowFunctionStatus, ast.ShowPlugins, ast.ShowPrivileges,
		ast.ShowProfiles, ast.ShowProfile, ast.ShowOpenTables, ast.ShowMasterStatus,
		ast.ShowCreateUser, ast.ShowBinlogStatus, ast.ShowReplicaStatus:
		info.Kind = ShowOther
	default:
		return "this SHOW statement"
	}
	if x.Table != nil && x.DBName != "" && x.Table.Schema.L == "" {
		x.Table.Schema = ast.NewCIStr(x.DBName)
		x.DBName = ""
	}
	if x.Column != nil && x.Pattern == nil {
		// DESCRIBE t col == SHOW COLUMNS FROM t LIKE 'col'
		x.Pattern = &ast.PatternLikeOrIlikeExpr{Pattern: ast.NewValueExpr(x.Column.Name.O, "", ""), IsLike: true, Escape: '\\'}
		x.Column = nil
	}
	if x.Pattern != nil {
		if v, ok := x.Pattern.Pattern.(*driver.ValueExpr); ok {
			s := v.GetString()
			info.Like = &s
		}
	}
	a.st.Show = info
	return ""
}

func (a *analyzer) finishDatabase(n ast.Node) (*Statement, error) {
	tpl, err := a.restore(n)
	if err != nil {
		return nil, err
	}
	a.st.DBTemplate = tpl
	return a.st, nil
}

func (a *analyzer) analyzeInsert(x *ast.InsertStmt) error {
	info := &InsertInfo{Replace: x.IsReplace, Select: x.Select != nil, Table: -1}
	if sel, ok := x.Select.(*ast.SelectStmt); ok && sel.Limit != nil {
		a.st.HasOrderOrLimit = true // which rows a LIMIT picks may differ per copy
	}
	if len(a.blocks) > 0 && len(a.blocks[0].tables) > 0 {
		info.Table = a.blocks[0].tables[0]
	}
	if len(x.Columns) > 0 {
		info.Columns = make([]string, len(x.Columns))
		for i, c := range x.Columns {
			info.Columns[i] = c.Name.L
		}
	}
	if x.Select == nil {
		info.Rows = make([][]Value, len(x.Lists))
		for i, row := range x.Lists {
			vals := make([]Value, len(row))
			for j, e := range row {
				vals[j] = a.value(e)
			}
			info.Rows[i] = vals
		}
	}
	for _, as := range x.OnDuplicate {
		info.OnDupColumns = append(info.OnDupColumns, as.Column.Name.L)
	}
	if info.Table >= 0 {
		a.st.WriteTables = []int{info.Table}
	}
	a.st.Insert = info
	return nil
}

// splitInsert builds InsertInfo.Split and RowTemplates: the router uses
// them to send each partition its own rows, and to fill in generated
// values of an auto_increment column (a column appended to the list, or a
// value replaced).
func (a *analyzer) splitInsert(x *ast.InsertStmt) error {
	if x.Select != nil || len(x.Lists) == 0 || (len(x.Lists) < 2 && len(x.Columns) == 0) {
		return nil
	}
	info := a.st.Insert
	info.RowTemplates = make([]*Template, len(x.Lists))
	for i, row := range x.Lists {
		t, err := a.restoreExprs(row)
		if err != nil {
			return err
		}
		info.RowTemplates[i] = t
	}
	lists, setlist := x.Lists, x.Setlist
	x.Lists, x.Setlist = [][]ast.ExprNode{{a.markerExpr(a.holeMarker(Hole{Kind: HoleRows}))}}, false
	var last *ast.ColumnName
	if n := len(x.Columns); n > 0 {
		last = x.Columns[n-1]
		var b strings.Builder
		if err := last.Restore(format.NewRestoreCtx(RestoreFlags, &b)); err != nil {
			return Unsupported("this statement (cannot restore it: " + err.Error() + ")")
		}
		x.Columns[n-1] = &ast.ColumnName{Name: ast.NewCIStr(a.holeMarker(Hole{Kind: HoleColumns, Default: b.String()}))}
	}
	t, err := a.restore(x)
	x.Lists, x.Setlist = lists, setlist
	if last != nil {
		x.Columns[len(x.Columns)-1] = last
	}
	if err != nil {
		return err
	}
	info.Split = t
	return nil
}

func (a *analyzer) analyzeUpdate(x *ast.UpdateStmt) {
	a.st.HasOrderOrLimit = x.Order != nil || x.Limit != nil
	b0 := a.blocks[0]
	multi := len(b0.tables) > 1 || b0.hasDerive
	seen := map[int]bool{}
	add := func(r int) {
		if r >= 0 && !seen[r] {
			seen[r] = true
			a.st.WriteTables = append(a.st.WriteTables, r)
		}
	}
	for _, as := range x.List {
		r := a.colRefName(0, as.Column)
		a.st.Assigned = append(a.st.Assigned, r)
		switch {
		case !multi && len(b0.tables) == 1:
			add(b0.tables[0])
		case r.Table >= 0:
			add(r.Table)
		default:
			for _, t := range b0.tables {
				add(t)
			}
		}
	}
}

func (a *analyzer) analyzeDelete(x *ast.DeleteStmt) {
	a.st.HasOrderOrLimit = x.Order != nil || x.Limit != nil
	b0 := a.blocks[0]
	if x.IsMultiTable && x.Tables != nil {
		for _, t := range x.Tables.Tables {
			if r := a.resolveQualifier(0, t.Schema.L, t.Name.L); r >= 0 {
				a.st.WriteTables = append(a.st.WriteTables, r)
			}
		}
		return
	}
	if len(b0.tables) > 0 {
		a.st.WriteTables = []int{b0.tables[0]}
	}
}

func (a *analyzer) analyzeSet(x *ast.SetStmt) error {
	for _, v := range x.Variables {
		sv := SetVar{Global: v.IsGlobal}
		switch {
		case v.Name == ast.SetNames:
			sv.Kind, sv.Name = SetNames, "names"
			if ev, ok := v.ExtendValue.(*driver.ValueExpr); ok && ev != nil {
				sv.Collate = ev.GetString()
			}
		case v.Name == ast.SetCharset:
			sv.Kind, sv.Name = SetCharset, "charset"
		case !v.IsSystem:
			sv.Kind, sv.Name = SetUser, "@"+strings.ToLower(v.Name)
		default:
			name := strings.ToLower(v.Name)
			switch name {
			case "tx_isolation_one_shot":
				name, sv.OneShot = "transaction_isolation", true
			case "tx_read_only_one_shot":
				name, sv.OneShot = "transaction_read_only", true
			case "tx_isolation":
				name = "transaction_isolation"
			case "tx_read_only":
				name = "transaction_read_only"
				// the parser loses "next transaction only" for SET TRANSACTION READ ONLY|WRITE
				if !v.IsGlobal && len(x.Variables) == 1 && hasWordsPrefix(a.sql, "set", "transaction") {
					sv.OneShot = true
				}
			}
			sv.Name = name
		}
		a.st.Sets = append(a.st.Sets, sv)
	}
	return nil
}

func (a *analyzer) finishSet(x *ast.SetStmt) error {
	for i, v := range x.Variables {
		sv := &a.st.Sets[i]
		if v.Value == nil {
			sv.Value = &Template{Parts: []string{"DEFAULT"}, Params: [][]int{nil}}
		} else {
			t, err := a.restore(v.Value)
			if err != nil {
				return err
			}
			sv.Value = t
		}
		sv.ValueText = sv.Value.Text()
		if sv.Name == "transaction_read_only" {
			switch sv.ValueText {
			case "'1'":
				sv.ValueText = "1"
			case "'0'":
				sv.ValueText = "0"
			}
			sv.Value = &Template{Parts: []string{sv.ValueText}, Params: [][]int{nil}}
		}
	}
	return nil
}

// hasWordsPrefix reports whether sql starts with the given words
// (case-insensitive, separated by white space).
func hasWordsPrefix(sql string, words ...string) bool {
	f := strings.Fields(sql)
	if len(f) < len(words) {
		return false
	}
	for i, w := range words {
		if !strings.EqualFold(f[i], w) {
			return false
		}
	}
	return true
}
