package sqlparse

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/shardline/shardline/sqllex"
)

// mariadb1011 reads statements as a MariaDB 10.11.19 server does in its
// default sql_mode, for a utf8mb4 client.
var mariadb1011 = Options{Lex: sqllex.Mode{ServerVersion: 101119, MariaDB: true}}

func analyze(t *testing.T, sql string) (*Statement, *Text) {
	t.Helper()
	st, text, err := Analyze(sql, mariadb1011)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return st, text
}

// keepAll renders every edit as the text it replaces.
func keepAll(text *Text) Filler {
	return func(b *strings.Builder, e *Edit) { b.WriteString(text.Span(e.From, e.To)) }
}

func render(st *Statement, text *Text, fill Filler) string {
	var b strings.Builder
	st.Template.Render(&b, text, 0, len(text.Toks), fill, nil)
	return b.String()
}

var statements = []string{
	"select * from orders where user_id = 5",
	"select o.id, `orders`.`amount`, oms.orders.x from oms.orders join orders o on o.id = orders.id where orders.user_id in (1, 2, ?)",
	"select 'it''s', 'a\\\\b', 'x\\ny', _binary'\\0ab', x'ff', b'101', 1.50, -3, 1e3, null, true, date '2020-01-01'",
	"select count(*), avg(x), group_concat(y order by y separator ';') from t group by z having count(*) > 1 order by 1 desc limit 3, 4",
	"insert into t (a, b) values (1, ?), (?, 'x') on duplicate key update b = values(b) + ?",
	"update t set a = a + 1 where id between ? and 10 order by id limit 3",
	"delete from t where a like 'x\\_%' escape '|'",
	"with recursive c (n) as (select 1 union all select n + 1 from c where n < 5) select * from c",
	"select * from t1 left join t2 using (id) where t2.id is null",
	"select * from t where exists (select 1 from u where u.id = t.id) for update",
	"create table t (id bigint unsigned not null auto_increment primary key, name varchar(32) character set utf8mb4 collate utf8mb4_bin default '' comment 'n', created datetime default current_timestamp on update current_timestamp, unique key uk (name), key k (created)) engine=innodb auto_increment=10 default charset=utf8mb4",
	"alter table t add column c int after id, drop index k, modify name varchar(64)",
	"select * from t where (a, b) in ((1, 2), (3, 4)) and c <=> null",
	"select json_extract(doc, '$.a') from t where cast(x as unsigned) = 3",
	"select a from t union all select a from u order by a limit 5",
	"/* lead */ SELECT /*+ hint */ a /*!40101 , b */ FROM t -- tail\n",
	"select 0x05, X'05', 0b101, N'x', _latin1'\xe9', 'a' 'b' from t where id < 0x64",
}

// TestSplicedTextIsTheClientsText: a template whose edits write back what
// they replace renders the client's text byte for byte — everything the
// router does not edit (literals, escapes, introducers, comments, spacing)
// reaches the shard as the client wrote it.
func TestSplicedTextIsTheClientsText(t *testing.T) {
	for _, sql := range statements {
		st, text := analyze(t, sql)
		if got := render(st, text, keepAll(text)); got != strings.TrimSpace(sql) {
			t.Errorf("%q rendered as %q", sql, got)
		}
		if st.ParamCount != strings.Count(sql, "?") {
			t.Errorf("%s: %d params", sql, st.ParamCount)
		}
	}
}

// TestEdits: where the router may write physical names and session
// values, and nowhere else.
func TestEdits(t *testing.T) {
	for _, tc := range []struct{ sql, want string }{
		{"select orders.id, o2.x from oms.orders, orders as o2 where orders.user_id = o2.user_id",
			"select <Q0>.id, o2.x from <T0>, <T1> as o2 where <Q0>.user_id = o2.user_id"},
		{"select oms.orders.id from `oms`.`orders`", "select <Q0+s>.id from <T0>"},
		{"select t.* from t where id = 1", "select <Q0>.* from <T0> where id = 1"},
		{"delete t from t join u on t.id = u.id", "delete <T0> from <T0> join <T1> on <Q0>.id = <Q1>.id"},
		{"update t set t.a = last_insert_id() where id = connection_id()",
			"update <T0> set <Q0>.a = <ID> where id = <CONN>"},
		{"select `select`.a from `select`", "select <Q0>.a from <T0>"},
		{"select `date`.d from `date` where d = date '2020-01-01'", "select <Q0>.d from <T0> where d = date '2020-01-01'"},
		{"select orders.id + 1, orders.id from orders", "select <Q0>.id + 1<ALIAS>, <Q0>.id from <T0>"},
		{"show index from orders from oms", "show index from <T0> <SHOWFROM>"},
		{"create database if not exists `db1` charset utf8mb4", "create database if not exists <DB> charset utf8mb4"},
	} {
		st, text := analyze(t, tc.sql)
		got := render(st, text, func(b *strings.Builder, e *Edit) {
			switch h := e.Hole; h.Kind {
			case HoleAlias:
				b.WriteString(" AS `" + text.Span(e.Pieces[0].From, e.Pieces[0].To) + "`")
			case HoleTable:
				fmt.Fprintf(b, "<T%d>", h.Ref)
			case HoleQualifier:
				if h.Schema {
					fmt.Fprintf(b, "<Q%d+s>", h.Ref)
				} else {
					fmt.Fprintf(b, "<Q%d>", h.Ref)
				}
			case HoleLastID:
				b.WriteString("<ID>")
			case HoleConnID:
				b.WriteString("<CONN>")
			case HoleShowFrom:
				b.WriteString("<SHOWFROM>")
			case HoleDatabase:
				b.WriteString("<DB>")
			}
		})
		got = strings.ReplaceAll(got, " AS `orders.id + 1`", "<ALIAS>")
		if got != tc.want {
			t.Errorf("%s\n got %s\nwant %s", tc.sql, got, tc.want)
		}
	}
}

func TestConditions(t *testing.T) {
	for _, tc := range []struct {
		where string
		want  string
	}{
		{"a = 1", "a=1"},
		{"1 = a", "a=1"},
		{"a = ?", "a=?0"},
		{"a in (1, 'x', null)", "a in(1,'x')"},
		{"a = 1 or a = 2", "or(a=1,a=2)"},
		{"a = 1 and (b = 2 or c = 3)", "and(a=1,or(b=2,c=3))"},
		{"a = 1 or f(b)", "-"},
		{"a between 1 and 5", "a between(1,5)"},
		{"a > 3 and a <= 10", "and(a>3,a<=10)"},
		{"5 > a", "a<5"},
		{"not (a = 1)", "-"},
		{"a = -9223372036854775808", "a=-9223372036854775808"},
		{"a = 1.5", "a=1.5d"},
		{"a = 15e-1", "a=15e-1f"},
		{"a = 1.50", "a=1.50d"},
		{"a = b", "a==b"},
		{"(a, b) = (1, 2)", "and(a=1,b=2)"},
		{"a <=> 3", "a=3"},
		{"a = x'41'", "a=0x41"},
		{"a = 0x05", "a=0x05"},
		{"a = 'x' 'y'", "a='xy'"},
		{"a = 'it''s'", "a='it's'"},
		{"a = -'5'", "-"},
		{"a = true", "a=1"},
		// MariaDB 10.11 skips MySQL 5.7+ executable comments and runs its own
		{"a = 1 /*!80000 OR 1=1 */", "a=1"},
		{"a = 1 /*!100500 OR b = 2 */", "or(a=1,b=2)"},
		{"a = 1 /*M! OR b = 2 */", "or(a=1,b=2)"},
		{"a = 1 /*M!999999 OR b = 2 */", "a=1"},
		{"a = 1 /*T! OR b = 2 */", "a=1"},
	} {
		st, text := analyze(t, "select * from t where "+tc.where)
		if got := condString(text, st.Blocks[0].Cond); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.where, got, tc.want)
		}
	}
}

func condString(text *Text, c *Cond) string {
	if c == nil {
		return "-"
	}
	switch c.Op {
	case CondAnd, CondOr:
		var k []string
		for _, x := range c.Kids {
			k = append(k, condString(text, x))
		}
		op := "and"
		if c.Op == CondOr {
			op = "or"
		}
		return op + "(" + strings.Join(k, ",") + ")"
	case CondColEq:
		return c.Col.Name + "==" + c.Col2.Name
	}
	var vs []string
	for _, v := range c.Vals {
		if v.Kind == ValParam {
			vs = append(vs, fmt.Sprintf("?%d", v.P))
			continue
		}
		switch l := text.Literal(v); l.Kind {
		case LitInt:
			vs = append(vs, fmt.Sprint(l.I))
		case LitString:
			vs = append(vs, "'"+string(l.Bytes)+"'")
		case LitFloat:
			vs = append(vs, l.Text+"f")
		case LitDecimal:
			vs = append(vs, l.Text+"d")
		case LitHex:
			vs = append(vs, fmt.Sprintf("0x%x", l.Bytes))
		default:
			vs = append(vs, "?")
		}
	}
	ops := map[CmpOp]string{CmpEq: "=", CmpLt: "<", CmpLe: "<=", CmpGt: ">", CmpGe: ">="}
	switch c.Cmp {
	case CmpIn:
		return c.Col.Name + " in(" + strings.Join(vs, ",") + ")"
	case CmpBetween:
		return c.Col.Name + " between(" + strings.Join(vs, ",") + ")"
	}
	return c.Col.Name + ops[c.Cmp] + vs[0]
}

// TestReadUnderSQLMode: the statement is read as the server reads it in
// the session's sql_mode. If it fails, the proxy routes by another
// statement than the one the shards run (an injection under
// NO_BACKSLASH_ESCAPES, a string taken for a column under ANSI_QUOTES).
func TestReadUnderSQLMode(t *testing.T) {
	nbe, ansi := mariadb1011, mariadb1011
	nbe.Lex.NoBackslashEscapes = true
	ansi.Lex.ANSIQuotes = true
	for _, tc := range []struct {
		o    Options
		sql  string
		want string
	}{
		// without backslash escapes 'x\' is a whole string and the rest two
		// comparisons; with them the string runs on and OR 1=1 is code
		{nbe, `select * from t where v = 'x\' and v = ' or 1=1 -- '`, `and(v='x\',v=' or 1=1 -- ')`},
		{mariadb1011, `select * from t where v = 'x\' and v = ' or 1=1 -- '`, "-"},
		{nbe, `select * from t where v = 'a\b'`, `v='a\b'`},
		{mariadb1011, `select * from t where v = 'a\b'`, "v='a\x08'"},
		{ansi, `select * from t where v = "v"`, "v==v"},
		{mariadb1011, `select * from t where v = "v"`, "v='v'"},
	} {
		st, text, err := Analyze(tc.sql, tc.o)
		if err != nil {
			t.Fatalf("%s: %v", tc.sql, err)
		}
		if got := condString(text, st.Blocks[0].Cond); got != tc.want {
			t.Errorf("%s (ansi %v, nbe %v): %q, want %q", tc.sql, tc.o.Lex.ANSIQuotes, tc.o.Lex.NoBackslashEscapes, got, tc.want)
		}
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		sql  string
		code uint16
		msg  string
	}{
		{"selec 1", mysql.ER_PARSE_ERROR, "near 'selec 1' at line 1"},
		{"select 1; select 2", mysql.ER_NOT_SUPPORTED_YET, ""},
		{"xa start 'a'", mysql.ER_NOT_SUPPORTED_YET, ""},
		{"", mysql.ER_EMPTY_QUERY, ""},
		{"  -- nothing\n", mysql.ER_EMPTY_QUERY, ""},
		{"select 'unterminated", mysql.ER_PARSE_ERROR, ""},
	} {
		_, _, err := Analyze(tc.sql, mariadb1011)
		var me *mysql.MyError
		if !errors.As(err, &me) || me.Code != tc.code || !strings.Contains(me.Message, tc.msg) {
			t.Errorf("%q: %v, want code %d with %q", tc.sql, err, tc.code, tc.msg)
		}
	}
	st, _ := analyze(t, "load data infile 'x' into table t")
	if st.Kind != KindUnsupported || st.Unsupported != "LOAD DATA" {
		t.Fatalf("%+v", st)
	}
}

// TestShapeCache: texts that differ only in literal values share one
// analysis; other literal kinds, other sql_modes and ORDER BY n do not.
// If it fails, repeated statements are parsed every time (or a statement
// is read with another's analysis).
func TestShapeCache(t *testing.T) {
	p := NewParser(32)
	a, _, err := p.Parse("select * from t where id = 1", mariadb1011)
	if err != nil {
		t.Fatal(err)
	}
	b, text, _ := p.Parse("select  *  from t where id = 22 -- x", mariadb1011)
	if a != b {
		t.Fatal("texts of one shape should share the analysis")
	}
	if l := text.Literal(b.Blocks[0].Cond.Vals[0]); l.I != 22 {
		t.Fatalf("the literal is read from the new text: %+v", l)
	}
	c, _, _ := p.Parse("select * from t where id = '1'", mariadb1011)
	ansi := mariadb1011
	ansi.Lex.ANSIQuotes = true
	d, _, _ := p.Parse("select * from t where id = 1", ansi)
	if c == a || d == a {
		t.Fatal("another literal kind or sql_mode must not share the analysis")
	}
	e1, _, _ := p.Parse("select a, b from t order by 1", mariadb1011)
	e2, _, _ := p.Parse("select a, b from t order by 2", mariadb1011)
	if e1 == e2 || e2.Select.OrderBy[0].Expr.Position != 2 {
		t.Fatal("ORDER BY n must not share an analysis with ORDER BY m")
	}
	for i := 0; i < 1000; i++ {
		if _, _, err := p.Parse(fmt.Sprintf("select * from t%d", i), mariadb1011); err != nil {
			t.Fatal(err)
		}
	}
	if n := p.CacheLen(); n > 32 {
		t.Fatalf("cache holds %d shapes, bound 32", n)
	}
}

func TestLRU(t *testing.T) {
	c := NewLRU[int](lruShards) // one entry per shard
	c.Put("a", 1)
	if v, ok := c.Get("a"); !ok || v != 1 {
		t.Fatal("get")
	}
	c.Put("a", 2)
	if v, _ := c.Get("a"); v != 2 {
		t.Fatal("update")
	}
	for i := 0; i < 1000; i++ {
		c.Put(fmt.Sprint(i), i)
	}
	if c.Len() > lruShards {
		t.Fatalf("len %d", c.Len())
	}
	a := NewAdmittingLRU[int](64)
	a.Put("x", 1)
	if _, ok := a.Get("x"); ok {
		t.Fatal("an admitting cache stored a key on its first Put")
	}
	a.Put("x", 2)
	if v, ok := a.Get("x"); !ok || v != 2 {
		t.Fatal("an admitting cache did not store a key on its second Put")
	}
}

func TestConcurrentAnalyze(t *testing.T) {
	p := NewParser(100)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				sql := fmt.Sprintf("select a, count(*) from t%d where id in (%d, ?) group by a order by a limit %d", g, i, i+1)
				st, text, err := p.Parse(sql, mariadb1011)
				if err != nil {
					t.Error(err)
					return
				}
				if st.Tables[0].Name != fmt.Sprintf("t%d", g) || st.Select == nil || text.Literal(st.Select.Limit.Count).I != int64(i+1) {
					t.Errorf("wrong analysis for %s", sql)
					return
				}
			}
		}(g)
	}
	wg.Wait()
}

func TestQuoteString(t *testing.T) {
	if got := QuoteString("a'b\\c\x00\n", false); got != `'a''b\\c\0\n'` {
		t.Fatal(got)
	}
	if got := QuoteString("a'b\\c", true); got != `'a''b\c'` {
		t.Fatal(got)
	}
	if got := QuoteName("a`b"); got != "`a``b`" {
		t.Fatal(got)
	}
}
