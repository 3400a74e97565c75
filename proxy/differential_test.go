package proxy_test

import (
	"database/sql"
	"fmt"
	"math"
	"math/rand"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// TestDifferential loads the same rows into a plain database (ref, on one
// server) and, through the proxy, into the sharded layout of shardedMap
// (2 servers, 4 partitions per table, every algorithm), then runs thousands
// of random queries over the supported grammar against both. If it fails, a
// sharded query returns a different answer than MySQL would: the printed
// query is the reproduction.
func TestDifferential(t *testing.T) {
	e := startXAEnv(t, 2, shardedMap, nil)
	proxied := e.dbWith(true, false)
	ref := e.direct(0, "")
	mustExec(t, ref, "CREATE DATABASE ref")
	ref = e.direct(0, "ref")
	for _, ddl := range schemaDDL {
		mustExec(t, proxied, ddl)
		mustExec(t, ref, ddl)
	}
	loadData(t, proxied)
	loadData(t, ref)

	n := 3000
	if testing.Short() {
		n = 500
	}
	rng := rand.New(rand.NewSource(20261126))
	g := &queryGen{rng: rng}
	failures := 0
	for i := 0; i < n && failures < 10; i++ {
		q := g.query()
		wantCols, want, errRef := queryColumnsAndRows(ref, q.sql)
		gotCols, got, errProxy := queryColumnsAndRows(proxied, q.sql)
		if errRef != nil {
			t.Fatalf("generated query is invalid on MariaDB itself: %s: %v", q.sql, errRef)
		}
		if errProxy != nil {
			t.Errorf("query %d failed through the proxy: %s\n  %v", i, q.sql, errProxy)
			failures++
			continue
		}
		if strings.Join(wantCols, ",") != strings.Join(gotCols, ",") {
			t.Errorf("query %d: column names differ: %s\n  MariaDB %q\n  proxy   %q", i, q.sql, wantCols, gotCols)
			failures++
			continue
		}
		if !q.ordered {
			sortRows(want)
			sortRows(got)
		}
		if d := diffRows(want, got); d != "" {
			t.Errorf("query %d differs: %s\n  %s", i, q.sql, d)
			failures++
		}
	}
}

type genQuery struct {
	sql     string
	ordered bool
}

type queryGen struct{ rng *rand.Rand }

func (g *queryGen) pick(xs ...string) string { return xs[g.rng.Intn(len(xs))] }

// table describes what the generator may do with one logical table.
type genTable struct {
	name, key string
	keyVals   func(*rand.Rand) string
	cols      []string // selectable columns (id first)
	num       []string // numeric columns for aggregates
	group     []string // columns for GROUP BY / DISTINCT (no case-only variants)
	filters   []func(*rand.Rand) string
}

var genTables = []genTable{
	{name: "orders", key: "user_id", keyVals: func(r *rand.Rand) string { return fmt.Sprint(1 + r.Intn(52)) },
		cols: []string{"id", "user_id", "amount", "status", "name", "created"}, num: []string{"amount", "user_id"},
		group: []string{"status", "user_id", "created"},
		filters: []func(*rand.Rand) string{
			func(r *rand.Rand) string { return fmt.Sprintf("amount > %d", r.Intn(500)) },
			func(r *rand.Rand) string { return fmt.Sprintf("status = '%s'", statuses[r.Intn(4)]) },
			func(r *rand.Rand) string { return fmt.Sprintf("name = '%s'", names[r.Intn(len(names))]) },
			func(r *rand.Rand) string { return fmt.Sprintf("id BETWEEN %d AND %d", r.Intn(200), 200+r.Intn(200)) },
			func(r *rand.Rand) string { return "amount IS NULL" },
		}},
	{name: "users_h", key: "id", keyVals: func(r *rand.Rand) string { i := 1 + r.Intn(210); return fmt.Sprint(i*1000 + i) },
		cols: []string{"id", "name", "score", "city"}, num: []string{"score", "id"}, group: []string{"city"},
		filters: []func(*rand.Rand) string{
			func(r *rand.Rand) string { return fmt.Sprintf("score < %d", r.Intn(1000)) },
			func(r *rand.Rand) string {
				return fmt.Sprintf("city IN ('%s','%s')", cities[r.Intn(5)], cities[r.Intn(5)])
			},
			func(r *rand.Rand) string { return "score IS NOT NULL" },
		}},
	{name: "events_r", key: "id", keyVals: func(r *rand.Rand) string { return fmt.Sprint(r.Intn(420)) },
		cols: []string{"id", "kind", "v"}, num: []string{"v", "id"}, group: []string{"kind"},
		filters: []func(*rand.Rand) string{
			func(r *rand.Rand) string { return fmt.Sprintf("v >= %d", r.Intn(97)) },
			func(r *rand.Rand) string { return fmt.Sprintf("kind = '%s'", kinds[r.Intn(3)]) },
		}},
}

// where returns a WHERE clause: on the shard key (point, IN, OR, range),
// on other columns, or both; sometimes none.
func (g *queryGen) where(t genTable, alias string) string {
	col := func(c string) string {
		if alias != "" {
			return alias + "." + c
		}
		return c
	}
	var conds []string
	switch g.rng.Intn(6) {
	case 0:
		conds = append(conds, fmt.Sprintf("%s = %s", col(t.key), t.keyVals(g.rng)))
	case 1:
		conds = append(conds, fmt.Sprintf("%s IN (%s, %s, %s)", col(t.key), t.keyVals(g.rng), t.keyVals(g.rng), t.keyVals(g.rng)))
	case 2:
		conds = append(conds, fmt.Sprintf("(%s = %s OR %s = %s)", col(t.key), t.keyVals(g.rng), col(t.key), t.keyVals(g.rng)))
	case 3:
		a, b := t.keyVals(g.rng), t.keyVals(g.rng)
		conds = append(conds, fmt.Sprintf("%s BETWEEN %s AND %s", col(t.key), a, b))
	}
	if g.rng.Intn(2) == 0 && alias == "" {
		conds = append(conds, t.filters[g.rng.Intn(len(t.filters))](g.rng))
	}
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

func (g *queryGen) query() genQuery {
	t := genTables[g.rng.Intn(len(genTables))]
	switch g.rng.Intn(6) {
	case 0, 1: // plain rows, maybe ordered and limited
		cols := t.cols[:1+g.rng.Intn(len(t.cols))]
		q := "SELECT " + strings.Join(cols, ", ") + " FROM " + t.name + g.where(t, "")
		if g.rng.Intn(3) > 0 {
			o := t.cols[g.rng.Intn(len(t.cols))]
			dir := g.pick("", " DESC")
			q += " ORDER BY " + o + dir
			if o != "id" {
				q += ", id" + dir
			}
			if g.rng.Intn(2) == 0 {
				q += fmt.Sprintf(" LIMIT %d", 1+g.rng.Intn(20))
				if g.rng.Intn(2) == 0 {
					q += fmt.Sprintf(" OFFSET %d", g.rng.Intn(30))
				}
			}
			return genQuery{q, true}
		}
		return genQuery{q, false}
	case 2: // whole-table aggregates
		x := t.num[g.rng.Intn(len(t.num))]
		return genQuery{fmt.Sprintf("SELECT COUNT(*), COUNT(%s), SUM(%s), MIN(%s), MAX(%s), AVG(%s), COUNT(DISTINCT %s) FROM %s%s",
			x, x, x, x, x, t.group[0], t.name, g.where(t, "")), false}
	case 3: // GROUP BY, maybe HAVING, maybe ordered
		gc := t.group[g.rng.Intn(len(t.group))]
		x := t.num[g.rng.Intn(len(t.num))]
		q := fmt.Sprintf("SELECT %s, COUNT(*), SUM(%s), MAX(%s), AVG(%s), COUNT(DISTINCT %s) FROM %s%s GROUP BY %s",
			gc, x, x, x, x, t.name, g.where(t, ""), gc)
		if g.rng.Intn(3) == 0 {
			q += fmt.Sprintf(" HAVING COUNT(*) > %d", g.rng.Intn(5))
		}
		if g.rng.Intn(2) == 0 {
			q += " ORDER BY " + gc + g.pick("", " DESC")
			if g.rng.Intn(2) == 0 {
				q += fmt.Sprintf(" LIMIT %d", 1+g.rng.Intn(10))
			}
			return genQuery{q, true}
		}
		return genQuery{q, false}
	case 4: // DISTINCT
		gc := t.group[g.rng.Intn(len(t.group))]
		q := "SELECT DISTINCT " + gc + " FROM " + t.name + g.where(t, "")
		if g.rng.Intn(2) == 0 {
			return genQuery{q + " ORDER BY " + gc, true}
		}
		return genQuery{q, false}
	default: // join of co-partitioned tables on the shard key, or with a broadcast table
		if g.rng.Intn(2) == 0 {
			o := genTables[0]
			return genQuery{"SELECT o.id, o.status, l.qty FROM orders o JOIN order_lines l ON o.user_id = l.user_id AND o.id = l.order_id" +
				g.where(o, "o"), false}
		}
		return genQuery{"SELECT u.id, u.city, c.name FROM users_h u JOIN countries c ON c.code = CASE u.city " +
			"WHEN 'oslo' THEN 'no' WHEN 'lima' THEN 'pe' WHEN 'rome' THEN 'it' WHEN 'kyiv' THEN 'ua' ELSE 'in' END" +
			g.where(genTables[1], "u"), false}
	}
}

// queryStrings runs q and returns every row as strings ("NULL" for NULL).
func queryStrings(db *sql.DB, q string) ([][]string, error) {
	_, rows, err := queryColumnsAndRows(db, q)
	return rows, err
}

// queryColumnsAndRows runs q and returns the column names and every row as
// strings.
func queryColumnsAndRows(db *sql.DB, q string) ([]string, [][]string, error) {
	rows, err := db.Query(q)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]string
	for rows.Next() {
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, nil, err
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			if v == nil {
				row[i] = "NULL"
			} else {
				row[i] = string(v)
			}
		}
		out = append(out, row)
	}
	return cols, out, rows.Err()
}

func sortRows(rows [][]string) {
	sort.Slice(rows, func(i, j int) bool { return strings.Join(rows[i], "\x00") < strings.Join(rows[j], "\x00") })
}

// diffRows compares results; floating-point columns may differ in the last
// digits (sums added in another order), so numbers are compared with a
// relative tolerance when their text differs.
func diffRows(want, got [][]string) string {
	if len(want) != len(got) {
		return fmt.Sprintf("%d rows from MariaDB, %d through the proxy\n  want %v\n  got  %v", len(want), len(got), clip(want), clip(got))
	}
	for i := range want {
		if len(want[i]) != len(got[i]) {
			return fmt.Sprintf("row %d: %d columns vs %d", i, len(want[i]), len(got[i]))
		}
		for j := range want[i] {
			if want[i][j] != got[i][j] && !closeFloats(want[i][j], got[i][j]) {
				return fmt.Sprintf("row %d column %d: want %q, got %q\n  want %v\n  got  %v", i, j, want[i][j], got[i][j], want[i], got[i])
			}
		}
	}
	return ""
}

func closeFloats(a, b string) bool {
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	if err1 != nil || err2 != nil {
		return false
	}
	return math.Abs(x-y) <= 1e-9*math.Max(1, math.Abs(x))
}

func clip(rows [][]string) [][]string {
	if len(rows) > 5 {
		return rows[:5]
	}
	return rows
}
