package router

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/shardline/shardline/sqlparse"
)

// planShow:
//   - SHOW DATABASES is answered from the map (KindStatic): information_schema
//     and the logical schemas;
//   - SHOW [FULL] TABLES of a schema with table rules becomes a SELECT on the
//     default shard's information_schema that lists its real tables, hides the
//     partitions stored there and adds the logical names of the rules, with the
//     column names of SHOW TABLES (Tables_in_<db>[ (<pattern>)], Table_type);
//   - SHOW COLUMNS / DESCRIBE / SHOW INDEX / SHOW CREATE TABLE of a sharded
//     table run on its first partition with the physical name, and
//     Plan.RenameTable shows the logical name in the result;
//   - the other SHOW statements run unchanged on the default shard.
func (pc *pctx) planShow() (Plan, error) {
	info := pc.st.Show
	switch info.Kind {
	case sqlparse.ShowDatabases:
		return pc.showDatabases()
	case sqlparse.ShowTables:
		return pc.showTables()
	case sqlparse.ShowColumns, sqlparse.ShowIndex, sqlparse.ShowCreateTable:
		if pc.st.MainTable < 0 {
			return nil, unsupported("this SHOW statement")
		}
		t := &pc.refs[pc.st.MainTable]
		switch t.cls {
		case clsSharded:
			part := &t.rule.parts[0]
			main := pc.st.MainTable
			tg := pc.target(part.shard, pc.st.Template, &renderer{assign: func(ref int) *cpart {
				if ref == main {
					return part
				}
				return nil
			}})
			if info.Kind == sqlparse.ShowColumns {
				return &Route{Target: tg}, nil
			}
			return &Scatter{Targets: []Target{tg}, Merge: &MergeSpec{Limit: -1},
				Rename: &TableRename{Physical: part.table, Logical: t.ref.Name}}, nil
		case clsSystem:
			shard, err := pc.defaultShard()
			if err != nil {
				return nil, err
			}
			return pc.passthrough(shard), nil
		}
		return pc.passthrough(t.shard), nil
	}
	db := info.DB
	if db == "" {
		db = pc.sess.DB
	}
	if cs := pc.c.schema(db); cs != nil {
		return pc.passthrough(cs.def.DefaultShard), nil
	}
	shard, err := pc.defaultShard()
	if err != nil {
		return nil, err
	}
	return pc.passthrough(shard), nil
}

func (pc *pctx) showDatabases() (Plan, error) {
	info := pc.st.Show
	if info.Where.To > info.Where.From {
		return nil, unsupported("SHOW DATABASES WHERE")
	}
	col := "Database"
	var re *regexp.Regexp
	if like, ok := pc.likePattern(); ok {
		col += " (" + like + ")"
		re = likeRegexp(like)
	}
	res := &StaticResult{Columns: []string{col}}
	for _, name := range append([]string{"information_schema"}, pc.c.schemaNames...) {
		if re == nil || re.MatchString(name) {
			res.Rows = append(res.Rows, []any{name})
		}
	}
	return &Static{Result: res}, nil
}

// likeRegexp compiles a SQL LIKE pattern (case-insensitive, '\' escapes).
func likeRegexp(p string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("(?is)^")
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '%':
			b.WriteString(".*")
		case '_':
			b.WriteString(".")
		case '\\':
			if i+1 < len(p) {
				i++
				b.WriteString(regexp.QuoteMeta(string(p[i])))
			} else {
				b.WriteString(`\\`)
			}
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

func (pc *pctx) showTables() (Plan, error) {
	info := pc.st.Show
	db := info.DB
	if db == "" {
		db = pc.sess.DB
	}
	if db == "" {
		return nil, errNoDB()
	}
	if isSystemSchema(db) {
		shard, err := pc.defaultShard()
		if err != nil {
			return nil, err
		}
		return pc.passthrough(shard), nil
	}
	cs := pc.c.schema(db)
	if cs == nil {
		return nil, errBadDB(db)
	}
	if len(cs.tables) == 0 {
		return pc.passthrough(cs.def.DefaultShard), nil
	}
	var hide []string
	names := sortedKeys(cs.tables)
	for _, n := range names {
		for _, p := range cs.tables[n].parts {
			if p.shard == cs.def.DefaultShard && strings.EqualFold(p.schema, cs.name) {
				hide = append(hide, pc.quote(p.table))
			}
		}
	}
	var in strings.Builder
	in.WriteString("SELECT TABLE_NAME AS `n`")
	if info.Full {
		in.WriteString(",TABLE_TYPE AS `t`")
	}
	in.WriteString(" FROM information_schema.TABLES WHERE TABLE_SCHEMA=")
	in.WriteString(pc.quote(cs.name))
	if len(hide) > 0 {
		in.WriteString(" AND TABLE_NAME NOT IN (" + strings.Join(hide, ",") + ")")
	}
	for _, n := range names {
		in.WriteString(" UNION SELECT " + pc.quote(n))
		if info.Full {
			in.WriteString(",'BASE TABLE'")
		}
	}
	col := "Tables_in_" + cs.name
	like, hasLike := pc.likePattern()
	if hasLike {
		col += " (" + like + ")"
	}
	q := "SELECT `n` AS " + sqlparse.QuoteName(col)
	if info.Full {
		q += ",`t` AS `Table_type`"
	}
	q += " FROM (" + in.String() + ") AS `sl_t`"
	if hasLike {
		lit := pc.text.LiteralSpan(info.Like)
		q += " WHERE `n` LIKE " + pc.text.Span(lit.From, lit.To)
	}
	if w := info.Where; w.To > w.From {
		q = "SELECT * FROM (" + q + ") AS `sl_tables` WHERE " + pc.text.Span(w.From, w.To)
	}
	q += " ORDER BY 1"
	return &Route{Target: Target{Shard: cs.def.DefaultShard, SQL: q, PassArgs: len(pc.args) == 0}}, nil
}

// likePattern is the pattern of SHOW ... LIKE, when there is one.
func (pc *pctx) likePattern() (string, bool) {
	l := pc.lit(pc.st.Show.Like)
	if l.Kind != sqlparse.LitString {
		return "", false
	}
	return string(l.Bytes), true
}

// quote writes a name the proxy generates as a string literal for the
// session's sql_mode.
func (pc *pctx) quote(s string) string {
	return sqlparse.QuoteString(s, pc.sess.Read.Lex.NoBackslashEscapes)
}

// sqlLiteral writes a bound value as an SQL literal for the session's
// sql_mode.
func (pc *pctx) sqlLiteral(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		return pc.quote(x)
	case []byte:
		return pc.quote(string(x))
	case bool:
		if x {
			return "1"
		}
		return "0"
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return "NULL"
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case time.Time:
		k, _ := normKey(x)
		return pc.quote(k.s)
	case time.Duration:
		return pc.quote(x.String())
	}
	return fmt.Sprint(v)
}
