package sqlparse

import (
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/shardline/shardline/sqllex"
)

func (a *analyzer) prepareShow(x *ast.ShowStmt) string {
	info := &ShowInfo{Full: x.Full, Like: Value{Kind: ValExpr}}
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
	a.st.Show = info
	return ""
}

// normalizeShow makes SHOW ... FROM t FROM db name db.t, before the names
// are located (the router writes the table qualified and drops FROM db).
func normalizeShow(root ast.StmtNode) {
	if ex, ok := root.(*ast.ExplainStmt); ok {
		root = ex.Stmt
	}
	if x, ok := root.(*ast.ShowStmt); ok && x.Table != nil && x.DBName != "" && x.Table.Schema.L == "" {
		x.Table.Schema = ast.NewCIStr(x.DBName)
		x.DBName = ""
	}
}

// showValues records the LIKE pattern and the WHERE condition of a SHOW.
func (a *analyzer) showValues(x *ast.ShowStmt) {
	info := a.st.Show
	if info == nil {
		return
	}
	if x.Pattern != nil {
		info.Like = a.value(x.Pattern.Pattern)
	}
	if x.Where != nil {
		if start := a.p.tokenAt(x.Where.OriginTextPosition()); start >= 0 {
			info.Where = Span{start, a.t.stmtEnd()}
		} else {
			a.fail("this SHOW ... WHERE (its condition could not be located)")
		}
	}
}

// stmtEnd is the token after the statement: a trailing ';' or the end.
func (t *Text) stmtEnd() int {
	n := len(t.Toks)
	for n > 0 && t.op(n-1, ";") {
		n--
	}
	return n
}

// finishDatabase locates the database name of CREATE/DROP/ALTER DATABASE:
// the first name after DATABASE/SCHEMA and IF [NOT] EXISTS.
func (a *analyzer) finishDatabase() (*Statement, error) {
	for i := 0; i < len(a.t.Toks); i++ {
		if !a.t.is(i, "database") && !a.t.is(i, "schema") {
			continue
		}
		j := i + 1
		if a.t.is(j, "if") {
			j++
			if a.t.is(j, "not") {
				j++
			}
			j++ // EXISTS
		}
		k := a.t.kind(j)
		if j < len(a.t.Toks) && (k == sqllex.Ident || k == sqllex.QuotedIdent) && a.t.identValue(j) == a.st.DB {
			a.addEdit(Edit{From: j, To: j + 1, Hole: Hole{Kind: HoleDatabase}})
			a.st.Template = newTemplate(a.edits)
			return a.st, nil
		}
		break
	}
	return a.unsupported("this database statement (its name could not be located)")
}

func (a *analyzer) analyzeInsert(x *ast.InsertStmt) error {
	info := &InsertInfo{Replace: x.IsReplace, Select: x.Select != nil, Table: -1}
	if sel, ok := x.Select.(*ast.SelectStmt); ok && sel.Limit != nil {
		a.st.HasOrderOrLimit = true // which rows a LIMIT picks may differ per copy
	}
	if len(a.blocks) > 0 && len(a.blocks[0].tables) > 0 {
		info.Table = a.blocks[0].tables[0]
	}
	if x.Setlist {
		info.SetForm = true
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
		a.insertSpans(x, info)
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

// insertSpans locates the rows and values of an INSERT ... VALUES (or the
// assignments of INSERT ... SET), so the router can send each partition
// its own rows and append a generated column. An INSERT whose rows cannot
// be located keeps RowsList empty: it is not split.
func (a *analyzer) insertSpans(x *ast.InsertStmt, info *InsertInfo) {
	t := a.t
	tn := x.Table.TableRefs.Left.(*ast.TableSource).Source.(*ast.TableName)
	nameAt, ok := a.loc.table[tn].span()
	if !ok {
		return
	}
	if info.SetForm {
		i := nameAt.To
		for i < len(t.Toks) && !t.is(i, "set") {
			i++
		}
		end := t.scanEnd(i+1, false)
		var vals []Span
		from := i + 1
		for from < end {
			stop := t.scanEnd(from, true)
			if stop > end {
				stop = end
			}
			eq := from
			for eq < stop && !t.op(eq, "=") && !t.op(eq, ":=") {
				eq++
			}
			if eq+1 >= stop {
				return
			}
			vals = append(vals, Span{eq + 1, stop})
			from = stop + 1
		}
		if len(vals) != len(info.Columns) {
			return
		}
		info.RowSpans = []Span{{i + 1, end}}
		info.ValueSpans = [][]Span{vals}
		info.RowsList = Span{i + 1, end}
		info.ColumnsEnd = end
		return
	}
	i := nameAt.To
	if len(x.Columns) > 0 {
		if !t.op(i, "(") {
			return
		}
		c := t.closeParen(i)
		if c < 0 {
			return
		}
		info.ColumnsEnd = c
		i = c + 1
	}
	if !t.is(i, "values") && !t.is(i, "value") {
		return
	}
	i++
	first := i
	for r := range x.Lists {
		if r > 0 {
			if !t.op(i, ",") {
				return
			}
			i++
		}
		if !t.op(i, "(") {
			return
		}
		c := t.closeParen(i)
		if c < 0 {
			return
		}
		var vals []Span
		for from := i + 1; from < c; {
			stop := t.scanEnd(from, true)
			if stop > c {
				stop = c
			}
			vals = append(vals, Span{from, stop})
			from = stop + 1
		}
		if len(vals) != len(x.Lists[r]) {
			return
		}
		info.RowSpans = append(info.RowSpans, Span{i + 1, c})
		info.ValueSpans = append(info.ValueSpans, vals)
		i = c + 1
	}
	info.RowsList = Span{first, i}
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

// dropTables records, for DROP TABLE of several tables, where each name
// is, so the router can split the statement per shard.
func (a *analyzer) dropTables(x *ast.DropTableStmt) {
	if len(x.Tables) < 2 {
		return
	}
	for _, tn := range x.Tables {
		sp, ok := a.loc.table[tn].span()
		if !ok {
			a.st.DropTables = nil
			return
		}
		a.st.DropTables = append(a.st.DropTables, sp)
	}
	a.st.DropList = Span{a.st.DropTables[0].From, a.st.DropTables[len(a.st.DropTables)-1].To}
}

// killID is the id of KILL [CONNECTION | QUERY] id: its literal.
func (a *analyzer) killID() Value {
	n := len(a.t.Toks)
	for n > 0 && a.t.op(n-1, ";") {
		n--
	}
	if n > 0 && a.t.kind(n-1) == sqllex.Int {
		return Value{Kind: ValLiteral, Tok: n - 1}
	}
	return Value{Kind: ValExpr}
}

func (a *analyzer) analyzeSet(x *ast.SetStmt) error {
	for _, v := range x.Variables {
		sv := SetVar{Global: v.IsGlobal}
		switch {
		case v.Name == ast.SetNames:
			sv.Kind, sv.Name = SetNames, "names"
			if v.ExtendValue != nil {
				sv.Collate = a.collateOf(v)
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
				if !v.IsGlobal && len(x.Variables) == 1 && a.t.hasWordsPrefix("set", "transaction") {
					sv.OneShot = true
				}
			}
			sv.Name = name
		}
		if v.Value != nil {
			if sp, ok := a.setValueSpan(v); ok {
				sv.Value = sp
			} else if c, ok := v.Value.(interface{ GetValue() any }); ok {
				// a value the parser built from keywords (ISOLATION LEVEL
				// READ COMMITTED, READ ONLY)
				switch x := c.GetValue().(type) {
				case string:
					sv.Fixed = "'" + x + "'"
				case int64:
					sv.Fixed = strconv.FormatInt(x, 10)
				case uint64:
					sv.Fixed = strconv.FormatUint(x, 10)
				default:
					return Unsupported("this SET statement (a value that could not be located)")
				}
			} else {
				return Unsupported("this SET statement (a value that could not be located)")
			}
		}
		a.st.Sets = append(a.st.Sets, sv)
	}
	return nil
}

// collateOf reads the collation of SET NAMES x COLLATE y from the text
// (the parser reads only collations it knows).
func (a *analyzer) collateOf(v *ast.VariableAssignment) string {
	for i := 0; i+1 < len(a.t.Toks); i++ {
		if a.t.is(i, "collate") {
			if a.t.kind(i+1) == sqllex.String {
				return string(sqllex.StringValue(a.t.SQL, a.t.Toks[i+1], a.t.mode))
			}
			return a.t.identValue(i + 1)
		}
	}
	return ""
}

// setValueSpan locates the value of one assignment: from the parser's
// position of the value to the next comma at its level. Values the parser
// builds itself (SET TRANSACTION ISOLATION LEVEL ..., SET NAMES x) have
// no position: they are located from their keywords.
func (a *analyzer) setValueSpan(v *ast.VariableAssignment) (Span, bool) {
	if start := a.p.tokenAt(v.Value.OriginTextPosition()); start > 0 {
		return Span{start, a.t.scanEnd(start, true)}, true
	}
	// SET NAMES x / SET CHARACTER SET x: the word after NAMES / SET
	for i := 0; i+1 < len(a.t.Toks); i++ {
		if (v.Name == ast.SetNames && a.t.is(i, "names")) || (v.Name == ast.SetCharset && (a.t.is(i, "charset") || (a.t.is(i, "character") && a.t.is(i+1, "set")))) {
			j := i + 1
			if a.t.is(i, "character") {
				j++
			}
			return Span{j, j + 1}, j < len(a.t.Toks)
		}
	}
	return Span{}, false
}
