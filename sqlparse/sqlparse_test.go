package sqlparse

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/go-mysql-org/go-mysql/mysql"
)

var roundTrip = []string{
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
}

// TestRestoreIsStable: restoring the restored text again gives the same
// text, so restore keeps the statement's meaning and its markers.
func TestRestoreIsStable(t *testing.T) {
	for _, sql := range roundTrip {
		st, err := Analyze(sql)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		if st.Template == nil {
			t.Fatalf("%s: no template", sql)
		}
		once := st.Template.Text()
		st2, err := Analyze(once)
		if err != nil {
			t.Fatalf("%s: restored text does not parse: %v\n%s", sql, err, once)
		}
		if twice := st2.Template.Text(); twice != once {
			t.Errorf("%s:\nonce:  %s\ntwice: %s", sql, once, twice)
		}
		if st.ParamCount != st2.ParamCount || st.ParamCount != strings.Count(sql, "?") {
			t.Errorf("%s: params %d / %d", sql, st.ParamCount, st2.ParamCount)
		}
	}
}

func TestParamOrderFollowsText(t *testing.T) {
	st, err := Analyze("select * from t where a = ? and b = ? limit ? offset ?")
	if err != nil {
		t.Fatal(err)
	}
	// restore writes LIMIT offset, count: the order of the markers changes
	if got := fmt.Sprint(st.Template.ParamOrder()); got != "[0 1 3 2]" {
		t.Fatalf("param order %s (%s)", got, st.Template.Text())
	}
	if !strings.HasSuffix(st.Template.Text(), "LIMIT ?,?") {
		t.Fatal(st.Template.Text())
	}
}

func TestHoles(t *testing.T) {
	st, err := Analyze("select orders.id, o2.x from oms.orders, orders as o2 where orders.user_id = o2.user_id")
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, h := range st.Template.Holes {
		kinds = append(kinds, fmt.Sprintf("%d:%d:%v:%s", h.Kind, h.Ref, h.Schema, h.Default))
	}
	want := "[2:0:false:`orders` 1:0:false:`oms`.`orders` 1:1:false:`orders` 2:0:false:`orders`]"
	if fmt.Sprint(kinds) != want {
		t.Fatalf("holes %v, want %s", kinds, want)
	}
	if len(st.Tables) != 2 || st.Tables[1].Alias != "o2" || st.Tables[0].Schema != "oms" {
		t.Fatalf("%+v", st.Tables)
	}
	eq := st.Blocks[0].JoinEqs
	if len(eq) != 1 || eq[0][0].Table != 0 || eq[0][1].Table != 1 {
		t.Fatalf("join eqs %+v", eq)
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
		{"a = 15e-1", "a=1.5f"},
		{"a = 1.50", "a=1.50d"},
		{"a = b", "a==b"},
		{"(a, b) = (1, 2)", "and(a=1,b=2)"},
		{"a <=> 3", "a=3"},
		{"a = x'41'", "-"},
	} {
		st, err := Analyze("select * from t where " + tc.where)
		if err != nil {
			t.Fatal(err)
		}
		if got := condString(st.Blocks[0].Cond); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.where, got, tc.want)
		}
	}
}

func condString(c *Cond) string {
	if c == nil {
		return "-"
	}
	switch c.Op {
	case CondAnd, CondOr:
		var k []string
		for _, x := range c.Kids {
			k = append(k, condString(x))
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
		switch v.Kind {
		case ValInt:
			vs = append(vs, fmt.Sprint(v.I))
		case ValParam:
			vs = append(vs, fmt.Sprintf("?%d", v.P))
		case ValString:
			vs = append(vs, "'"+v.S+"'")
		case ValFloat:
			vs = append(vs, fmt.Sprint(v.F)+"f")
		case ValDecimal:
			vs = append(vs, v.S+"d")
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

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		sql  string
		code uint16
	}{
		{"selec 1", mysql.ER_PARSE_ERROR},
		{"select 1; select 2", mysql.ER_NOT_SUPPORTED_YET},
		{"xa start 'a'", mysql.ER_NOT_SUPPORTED_YET},
		{"", mysql.ER_EMPTY_QUERY},
		{"select * from t where id = 5 /*M! or 1=1 */", mysql.ER_NOT_SUPPORTED_YET},
		{"select 1 /*M!100100 , 2 */", mysql.ER_NOT_SUPPORTED_YET},
	} {
		_, err := Analyze(tc.sql)
		var me *mysql.MyError
		if !errors.As(err, &me) || me.Code != tc.code {
			t.Errorf("%q: %v, want code %d", tc.sql, err, tc.code)
		}
	}
	// Not executable comments: inside strings, identifiers, other comments.
	for _, sql := range []string{
		"select '/*M! x */'", `select "it\"s /*M!"`, "select 1 as `/*M!`", "select 1 /* /*M! */",
		"select 1 -- /*M!\n", "select 1 # /*M!", "select 'a''/*M!'",
	} {
		if _, err := Analyze(sql); err != nil {
			t.Errorf("%q: %v, want it accepted", sql, err)
		}
	}
	st, err := Analyze("load data infile 'x' into table t")
	if err != nil || st.Kind != KindUnsupported || st.Unsupported != "LOAD DATA" {
		t.Fatalf("%v %+v", err, st)
	}
}

// TestParserCache: a text is cached from its second parse on, texts seen
// once are not stored, and the cache stays bounded. If it fails, repeated
// statements are analysed every time, or one-off texts (INSERTs with
// literal values) fill the cache and the proxy's memory.
func TestParserCache(t *testing.T) {
	p := NewParser(32)
	var got [3]*Statement
	for i := range got {
		st, err := p.Parse("select * from t where id = 1")
		if err != nil {
			t.Fatal(err)
		}
		got[i] = st
	}
	if got[1] != got[2] {
		t.Fatal("the third parse of a text should come from the cache")
	}
	for i := 0; i < 1000; i++ {
		if _, err := p.Parse(fmt.Sprintf("select %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if n := p.CacheLen(); n > 1 {
		t.Fatalf("cache holds %d entries after 1000 texts seen once each, want at most the repeated one", n)
	}
	for r := 0; r < 2; r++ {
		for i := 0; i < 1000; i++ {
			if _, err := p.Parse(fmt.Sprintf("select %d", i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := p.CacheLen(); n == 0 || n > 32 {
		t.Fatalf("cache holds %d entries after repeated texts, want 1..32", n)
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
				sql := fmt.Sprintf("select a, count(*) from t%d where id in (%d, ?) group by a order by 2 limit %d", g, i, i+1)
				st, err := p.Parse(sql)
				if err != nil {
					t.Error(err)
					return
				}
				if st.Tables[0].Name != fmt.Sprintf("t%d", g) || st.Scatter == nil {
					t.Errorf("wrong analysis for %s", sql)
					return
				}
			}
		}(g)
	}
	wg.Wait()
}

func TestQuoteString(t *testing.T) {
	if got := QuoteString("a'b\\c\x00\n"); got != `'a''b\\c\0\n'` {
		t.Fatal(got)
	}
	if got := QuoteName("a`b"); got != "`a``b`" {
		t.Fatal(got)
	}
}
