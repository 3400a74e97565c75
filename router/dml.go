package router

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/shardline/shardline/sqlparse"
)

func (pc *pctx) shardedRefs() []int {
	var out []int
	for i := range pc.refs {
		if pc.refs[i].cls == clsSharded {
			out = append(out, i)
		}
	}
	return out
}

// checkWrites rejects writes to system schemas and checks that a broadcast
// table is written only together with other broadcast tables. It reports
// whether a broadcast table is written.
func (pc *pctx) checkWrites() (bool, error) {
	if !pc.st.Write {
		return false, nil
	}
	bw := false
	for _, w := range pc.st.WriteTables {
		switch pc.refs[w].cls {
		case clsSystem:
			return false, unsupported("writes to the system schema %s", pc.refs[w].schema)
		case clsBroadcast:
			bw = true
		}
	}
	if !bw {
		return false, nil
	}
	if err := pc.checkDeterministic(); err != nil {
		return false, err
	}
	for i := range pc.refs {
		if c := pc.refs[i].cls; c == clsSharded || c == clsUnsharded {
			return false, unsupported("a write to a broadcast table that reads %s table %s (broadcast writes may only read broadcast tables)",
				clsName(c), pc.refs[i].String())
		}
	}
	return true, nil
}

func clsName(c tclass) string {
	switch c {
	case clsSharded:
		return "sharded"
	case clsBroadcast:
		return "broadcast"
	case clsSystem:
		return "system"
	}
	return "unsharded"
}

// everyShard runs the statement on every shard of the map (broadcast
// writes), each copy with @@timestamp fixed to the statement's time.
func (pc *pctx) everyShard(tpl *sqlparse.Template) Plan {
	var targets []Target
	for _, s := range pc.c.shards {
		t := pc.target(s, tpl, &renderer{})
		if !pc.sess.Now.IsZero() && !pc.st.Explain {
			t.SQL = "SET STATEMENT timestamp=" + unixMicros(pc.sess.Now) + " FOR " + t.SQL
			t.PassArgs = false
		}
		targets = append(targets, t)
	}
	return pc.writeOn(targets, true)
}

// unixMicros writes t as seconds since the epoch with six decimals.
func unixMicros(t time.Time) string {
	us := t.UnixMicro()
	return fmt.Sprintf("%d.%06d", us/1e6, us%1e6)
}

// nondeterministic lists functions whose value would differ between the
// copies of a broadcast table (or that read per-connection state).
// Time functions are not here: the copies share the statement's
// @@timestamp (everyShard); SYSDATE() ignores it.
var nondeterministic = map[string]bool{
	"uuid": true, "uuid_short": true, "sys_guid": true, "rand": true, "random_bytes": true, "sysdate": true,
	"found_rows": true, "row_count": true, "get_lock": true, "release_lock": true, "is_free_lock": true,
	"is_used_lock": true, "release_all_locks": true, "nextval": true, "lastval": true, "setval": true,
	"master_pos_wait": true, "master_gtid_wait": true, "load_file": true,
}

// checkDeterministic refuses a broadcast write that could change the
// copies differently: a function with a value per call or connection, or
// ORDER BY/LIMIT choosing rows.
func (pc *pctx) checkDeterministic() error {
	for _, f := range pc.st.Funcs {
		if nondeterministic[f] {
			return unsupported("%s() in a write to a broadcast table: each copy would get another value (compute it in the application and write the literal)", strings.ToUpper(f))
		}
	}
	if pc.st.HasOrderOrLimit {
		return unsupported("ORDER BY / LIMIT in a write to a broadcast table: the copies could change different rows (select the rows by a key)")
	}
	return nil
}

// writeOn is the plan of a write on targets: one Route, or a MultiWrite;
// for EXPLAIN <write>, a read of every target.
func (pc *pctx) writeOn(targets []Target, broadcast bool) Plan {
	switch {
	case pc.st.Explain && len(targets) > 1:
		return &Scatter{Targets: targets, Merge: &MergeSpec{Limit: -1}}
	case len(targets) == 1:
		return &Route{Target: targets[0], Write: !pc.st.Explain}
	}
	return &MultiWrite{Targets: targets, Broadcast: broadcast}
}

func (pc *pctx) planDML() (Plan, error) {
	if len(pc.refs) == 0 {
		shard, err := pc.defaultShard()
		if err != nil {
			return nil, err
		}
		return pc.passthrough(shard), nil
	}
	bw, err := pc.checkWrites()
	if err != nil {
		return nil, err
	}
	if bw {
		return pc.everyShard(pc.st.Template), nil
	}
	sharded := pc.shardedRefs()
	if len(sharded) == 0 {
		return pc.planUnsharded()
	}
	if pc.st.ShardedUnsupported != "" {
		return nil, unsupported("%s", pc.st.ShardedUnsupported)
	}
	if pc.st.Kind == sqlparse.KindUpdate {
		if err := pc.checkKeyUpdate(); err != nil {
			return nil, err
		}
	}
	return pc.planSharded(sharded)
}

// planUnsharded plans a statement without sharded tables: one shard, SQL
// unchanged.
func (pc *pctx) planUnsharded() (Plan, error) {
	shard, who := "", ""
	for i := range pc.refs {
		t := &pc.refs[i]
		if t.cls != clsUnsharded {
			continue
		}
		if shard == "" {
			shard, who = t.shard, t.String()
		} else if t.shard != shard {
			return nil, unsupported("a statement across shards: %s is on shard %s and %s on shard %s", who, shard, t.String(), t.shard)
		}
	}
	if shard == "" {
		for i := range pc.refs {
			if t := &pc.refs[i]; t.cls == clsBroadcast {
				shard = t.shard // reads of broadcast tables: the schema's default shard
				break
			}
		}
	}
	if shard == "" {
		var err error
		if shard, err = pc.defaultShard(); err != nil {
			return nil, err
		}
	}
	return pc.passthrough(shard), nil
}

func (pc *pctx) checkKeyUpdate() error {
	for _, col := range pc.st.Assigned {
		if col.Table >= 0 {
			if r := pc.keyRef(col); r >= 0 {
				return unsupported("an UPDATE of the shard key column %s of %s", col.Name, pc.refs[r].String())
			}
			continue
		}
		for _, r := range pc.st.Blocks[0].Tables {
			t := &pc.refs[r]
			if t.cls == clsSharded && t.rule.key == col.Name {
				return unsupported("an UPDATE of the shard key column %s of %s", col.Name, t.String())
			}
		}
	}
	return nil
}

// planSharded routes a statement with sharded tables.
//
// Case A (may scatter): every sharded table is in the top block and they
// all have the same partitioning and are joined on their shard keys (or
// there is one); the top block's condition selects partition indexes and
// each target runs the statement on partition i of every table. Unsharded
// tables are allowed only when that is one partition on their shard.
//
// Case B (one target): every sharded table, wherever it is (subqueries,
// derived tables, UNION), resolves by the condition of its own block to
// exactly one partition, and all of them (and the unsharded tables) are on
// one shard.
func (pc *pctx) planSharded(sharded []int) (Plan, error) {
	reason := ""
	if pc.st.TopBlock == 0 {
		group, why := pc.colocated(sharded)
		if group != nil {
			return pc.planGroup(group)
		}
		reason = why
	} else {
		reason = "UNION over sharded tables that span several partitions"
	}
	pl, why := pc.planSingle(sharded)
	if pl != nil {
		return pl, nil
	}
	if reason == "" {
		reason = why
	}
	return nil, unsupported("%s", reason)
}

// colocated returns the sharded refs when case A applies, else why not.
func (pc *pctx) colocated(all []int) ([]int, string) {
	// the sharded tables of the top block; those of subqueries must then
	// resolve to the same single partition (planGroup)
	var sharded []int
	for _, r := range all {
		if pc.refs[r].ref.Block == 0 {
			sharded = append(sharded, r)
		}
	}
	if len(sharded) == 0 {
		return nil, fmt.Sprintf("a subquery or derived table on sharded table %s that spans several partitions", pc.refs[all[0]].String())
	}
	if len(sharded) == 1 {
		return sharded, ""
	}
	first := pc.refs[sharded[0]].rule
	for _, r := range sharded[1:] {
		if !sameShape(first, pc.refs[r].rule) {
			return nil, fmt.Sprintf("a join of sharded tables %s and %s with different partitioning", pc.refs[sharded[0]].String(), pc.refs[r].String())
		}
	}
	// union-find over shard-key equalities
	parent := map[int]int{}
	for _, r := range sharded {
		parent[r] = r
	}
	find := func(x int) int {
		for parent[x] != x {
			x = parent[x]
		}
		return x
	}
	for _, eq := range pc.st.Blocks[0].JoinEqs {
		a, b := pc.keyRef(eq[0]), pc.keyRef(eq[1])
		if a >= 0 && b >= 0 && a != b {
			parent[find(a)] = find(b)
		}
	}
	root := find(sharded[0])
	for _, r := range sharded[1:] {
		if find(r) != root {
			return nil, fmt.Sprintf("a join of sharded tables %s and %s that is not on their shard keys", pc.refs[sharded[0]].String(), pc.refs[r].String())
		}
	}
	return sharded, ""
}

func (pc *pctx) planGroup(group []int) (Plan, error) {
	inGroup := map[int]bool{}
	for _, r := range group {
		inGroup[r] = true
	}
	rule := pc.refs[group[0]].rule
	set := pc.eval(pc.st.Blocks[0].Cond, func(col sqlparse.ColRef) *crule {
		if r := pc.keyRef(col); r >= 0 && inGroup[r] {
			return pc.refs[r].rule
		}
		if col.Table == -1 && col.Block == 0 {
			// an unqualified name that is the shard key of several tables of
			// the group (JOIN ... USING (key)): all of them hold the value
			var found *crule
			for _, r := range pc.st.Blocks[0].Tables {
				t := &pc.refs[r]
				if t.cls == clsSharded && t.rule.key == col.Name {
					if !inGroup[r] {
						return nil
					}
					found = t.rule
				}
			}
			return found
		}
		return nil
	})
	parts := set.list(len(rule.parts))
	if len(parts) == 0 {
		// no partition can hold a matching row: run on the first one (the
		// result is empty) rather than nowhere
		parts = []int{0}
	}
	// tables outside the group
	for i := range pc.refs {
		t := &pc.refs[i]
		if inGroup[i] || t.cls == clsBroadcast || t.cls == clsSystem {
			continue
		}
		if t.cls == clsSharded {
			// a sharded table outside the top block: only one target will do
			if len(parts) != 1 {
				return nil, unsupported("a subquery or derived table on sharded table %s that spans several partitions", t.String())
			}
			continue
		}
		if len(parts) != 1 || rule.parts[parts[0]].shard != t.shard {
			return nil, unsupported("a join of sharded table %s (%s) with unsharded table %s on shard %s",
				pc.refs[group[0]].String(), pc.partsText(rule, parts), t.String(), t.shard)
		}
	}
	if len(parts) == 1 {
		// subqueries on other sharded tables must sit on the same shard
		pl, why := pc.singleWith(group, parts[0])
		if pl == nil {
			return nil, unsupported("%s", why)
		}
		return pl, nil
	}
	// An outer join that keeps rows of a table outside the group when the
	// group's row is missing would emit them once per partition.
	for _, oj := range pc.st.Blocks[0].OuterJoins {
		nullable := false
		for _, r := range oj.Nullable {
			nullable = nullable || inGroup[r]
		}
		if !nullable {
			continue
		}
		if oj.OtherPreserved {
			return nil, unsupported("an outer join of a derived table with sharded table %s across shards", pc.refs[group[0]].String())
		}
		for _, r := range oj.Preserved {
			if !inGroup[r] {
				return nil, unsupported("an outer join that preserves %s table %s with sharded table %s across shards (%s)",
					clsName(pc.refs[r].cls), pc.refs[r].String(), pc.refs[group[0]].String(), pc.partsText(rule, parts))
			}
		}
	}
	tpl := pc.st.Template
	var limit string
	var merge *MergeSpec
	if len(parts) > 1 {
		switch pc.st.Kind {
		case sqlparse.KindSelect:
			if !pc.st.Explain {
				ms, scatterTpl, lim, err := pc.planScatter()
				if err != nil {
					return nil, err
				}
				merge, limit, tpl = ms, lim, scatterTpl
			}
		case sqlparse.KindUpdate, sqlparse.KindDelete:
			if pc.st.HasOrderOrLimit {
				return nil, unsupported("UPDATE/DELETE with ORDER BY or LIMIT across shards (%s)", pc.partsText(rule, parts))
			}
		case sqlparse.KindDo:
			return nil, unsupported("DO across shards")
		default:
			return nil, unsupported("this statement across shards")
		}
	}
	targets := make([]Target, 0, len(parts))
	for _, p := range parts {
		r := &renderer{limit: limit, assign: func(ref int) *cpart {
			if inGroup[ref] {
				return &pc.refs[ref].rule.parts[p]
			}
			return nil
		}}
		targets = append(targets, pc.target(rule.parts[p].shard, tpl, r))
	}
	if pc.st.Write {
		return pc.writeOn(targets, false), nil
	}
	if merge == nil {
		merge = &MergeSpec{Limit: -1}
	}
	return &Scatter{Targets: targets, Merge: merge}, nil
}

func (pc *pctx) partsText(r *crule, parts []int) string {
	if len(parts) == 1 {
		return "partition " + r.parts[parts[0]].table
	}
	return strconv.Itoa(len(parts)) + " partitions"
}

// singleWith is case A with one partition p when the other sharded tables
// (in subqueries) resolve to p's shard too.
func (pc *pctx) singleWith(group []int, p int) (Plan, string) {
	assign := map[int]*cpart{}
	shard := pc.refs[group[0]].rule.parts[p].shard
	for _, r := range group {
		assign[r] = &pc.refs[r].rule.parts[p]
	}
	for i := range pc.refs {
		t := &pc.refs[i]
		if _, ok := assign[i]; ok || t.cls != clsSharded {
			continue
		}
		part, why := pc.onePartition(i)
		if part == nil {
			part = pc.correlated(i, group, p)
		}
		if part == nil {
			return nil, why
		}
		if part.shard != shard {
			return nil, fmt.Sprintf("sharded tables %s and %s on different shards", pc.refs[group[0]].String(), t.String())
		}
		assign[i] = part
	}
	return pc.singlePlan(shard, assign), ""
}

// onePartition resolves sharded ref i by the condition of its own block.
func (pc *pctx) onePartition(i int) (*cpart, string) {
	t := &pc.refs[i]
	set := pc.eval(pc.st.Blocks[t.ref.Block].Cond, func(col sqlparse.ColRef) *crule {
		if pc.keyRef(col) == i {
			return t.rule
		}
		return nil
	})
	if set.all || len(set.idx) != 1 {
		return nil, fmt.Sprintf("a subquery or derived table on sharded table %s that spans several partitions", t.String())
	}
	return &t.rule.parts[set.idx[0]], ""
}

// correlated resolves sharded ref i of a subquery whose WHERE equates its
// shard key with the shard key of a group table (on partition p, same
// partitioning): then i's rows that matter are on partition p too.
func (pc *pctx) correlated(i int, group []int, p int) *cpart {
	t := &pc.refs[i]
	for _, eq := range pc.st.Blocks[t.ref.Block].JoinEqs {
		a, b := pc.keyRef(eq[0]), pc.keyRef(eq[1])
		if b == i {
			a, b = b, a
		}
		if a != i {
			continue
		}
		for _, g := range group {
			if g == b && sameShape(t.rule, pc.refs[g].rule) {
				return &t.rule.parts[p]
			}
		}
	}
	return nil
}

// planSingle is case B.
func (pc *pctx) planSingle(sharded []int) (Plan, string) {
	assign := map[int]*cpart{}
	shard := ""
	for _, i := range sharded {
		part, why := pc.onePartition(i)
		if part == nil {
			return nil, why
		}
		if shard == "" {
			shard = part.shard
		} else if part.shard != shard {
			return nil, fmt.Sprintf("sharded tables on different shards (%s is on %s)", pc.refs[i].String(), part.shard)
		}
		assign[i] = part
	}
	for i := range pc.refs {
		if t := &pc.refs[i]; t.cls == clsUnsharded && t.shard != shard {
			return nil, fmt.Sprintf("a join of sharded tables on shard %s with unsharded table %s on shard %s", shard, t.String(), t.shard)
		}
	}
	return pc.singlePlan(shard, assign), ""
}

func (pc *pctx) singlePlan(shard string, assign map[int]*cpart) Plan {
	r := &renderer{assign: func(ref int) *cpart { return assign[ref] }}
	return &Route{Target: pc.target(shard, pc.st.Template, r), Write: pc.st.Write && !pc.st.Explain}
}

// --- INSERT ------------------------------------------------------------------------

func (pc *pctx) planInsert() (Plan, error) {
	ins := pc.st.Insert
	if ins == nil || ins.Table < 0 {
		return nil, unsupported("this INSERT")
	}
	t := &pc.refs[ins.Table]
	if t.cls != clsSharded {
		return pc.planDML()
	}
	rule := t.rule
	verb := "INSERT"
	if ins.Replace {
		verb = "REPLACE"
	}
	if ins.Select {
		return nil, unsupported("%s ... SELECT into sharded table %s", verb, t.String())
	}
	for i := range pc.refs {
		if i == ins.Table {
			continue
		}
		if c := pc.refs[i].cls; c == clsSharded || c == clsUnsharded {
			return nil, unsupported("%s into sharded table %s with a subquery on %s table %s", verb, t.String(), clsName(c), pc.refs[i].String())
		}
	}
	columns := ins.Columns
	if columns == nil {
		if pc.sess.TableColumns == nil {
			return nil, unsupported("%s into sharded table %s without a column list (the shard key %s must be named)", verb, t.String(), rule.rule.ShardKey)
		}
		p0 := rule.parts[0]
		cols, err := pc.sess.TableColumns(p0.shard, p0.schema, p0.table)
		if err != nil {
			return nil, err
		}
		if len(cols) == 0 {
			return nil, unsupported("%s into sharded table %s without a column list: the columns of %s.%s on shard %s are unknown; name the columns",
				verb, t.String(), p0.schema, p0.table, p0.shard)
		}
		columns, pc.insertCols = cols, cols
	}
	keyIdx := -1
	for i, c := range columns {
		if c == rule.key {
			keyIdx = i
			break
		}
	}
	for r, row := range ins.Rows {
		if len(row) != len(columns) {
			return nil, mysql.NewError(mysql.ER_WRONG_VALUE_COUNT_ON_ROW, fmt.Sprintf("Column count doesn't match value count at row %d", r+1))
		}
	}
	auto, err := pc.autoFill(t, columns)
	if err != nil {
		return nil, err
	}
	if auto != nil && auto.ids == nil {
		return pc.autoRequest(t, auto), nil
	}
	if keyIdx < 0 && !auto.keyed(rule) {
		return nil, unsupported("%s into sharded table %s without a value for its shard key %s", verb, t.String(), rule.rule.ShardKey)
	}
	for _, c := range ins.OnDupColumns {
		if c == rule.key {
			return nil, unsupported("ON DUPLICATE KEY UPDATE of the shard key %s of %s", rule.rule.ShardKey, t.String())
		}
	}
	groups := map[int][]int{}
	var order []int
	for r, row := range ins.Rows {
		var k keyVal
		if id, ok := auto.id(r); ok && auto.keyed(rule) {
			k, _ = normKey(id)
		} else {
			v := row[keyIdx]
			switch v.Kind {
			case sqlparse.ValNull:
				return nil, mysql.NewError(mysql.ER_BAD_NULL_ERROR, fmt.Sprintf("Column '%s' cannot be null (shard key of %s)", rule.rule.ShardKey, t.String()))
			case sqlparse.ValExpr, sqlparse.ValDefault:
				return nil, unsupported("a shard key value that is not a literal or '?' in %s into %s (row %d)", verb, t.String(), r+1)
			}
			if v.Kind == sqlparse.ValParam && pc.args[v.P] == nil {
				return nil, mysql.NewError(mysql.ER_BAD_NULL_ERROR, fmt.Sprintf("Column '%s' cannot be null (shard key of %s)", rule.rule.ShardKey, t.String()))
			}
			var ok bool
			if k, ok = pc.keyOf(v); !ok {
				return nil, unsupported("the shard key value of row %d of %s into %s (write it as a number or a string)", r+1, verb, t.String())
			}
		}
		idx, ok := rule.index(k)
		if !ok {
			return nil, mysql.NewError(mysql.ER_NO_PARTITION_FOR_GIVEN_VALUE,
				fmt.Sprintf("Table has no partition for value %s (shard key %s of %s, algorithm %s)", k, rule.rule.ShardKey, t.String(), rule.algo))
		}
		if _, seen := groups[idx]; !seen {
			order = append(order, idx)
		}
		groups[idx] = append(groups[idx], r)
	}
	sort.Ints(order)
	targets := make([]Target, 0, len(order))
	for _, p := range order {
		r := &renderer{rows: groups[p], auto: auto, assign: func(ref int) *cpart {
			if ref == ins.Table {
				return &rule.parts[p]
			}
			return nil
		}}
		tpl := pc.st.Template
		if len(order) > 1 || auto != nil {
			var err error
			if tpl, err = pc.splitTemplate(auto); err != nil {
				return nil, err
			}
		}
		targets = append(targets, pc.target(rule.parts[p].shard, tpl, r))
	}
	pl := pc.writeOn(targets, false)
	switch {
	case pc.st.Explain || rule.rule.AutoIncrement == "":
		return pl, nil
	case auto != nil:
		return &SequencedInsert{Input: pl, InsertID: auto.ids[0], Generated: true}, nil
	}
	return &SequencedInsert{Input: pl, InsertID: pc.lastExplicit(rule.rule.AutoIncrement)}, nil
}

// splitTemplate is the INSERT with its rows written by the router (each
// target gets its own) and room for a generated column.
func (pc *pctx) splitTemplate(auto *autoFill) (*sqlparse.Template, error) {
	ins := pc.st.Insert
	if ins.RowsList.To == 0 {
		return nil, unsupported("this INSERT form across partitions (its rows could not be located)")
	}
	var edits []sqlparse.Edit
	if !ins.SetForm {
		edits = append(edits, sqlparse.Edit{From: ins.RowsList.From, To: ins.RowsList.To, Hole: sqlparse.Hole{Kind: sqlparse.HoleRows}})
	} else if auto != nil && auto.idx >= 0 {
		v := ins.ValueSpans[0][auto.idx]
		edits = append(edits, sqlparse.Edit{From: v.From, To: v.To, Pieces: []sqlparse.Piece{{Text: strconv.FormatUint(auto.ids[0], 10)}}})
	}
	if auto != nil && auto.idx < 0 {
		if ins.ColumnsEnd == 0 {
			return nil, unsupported("this INSERT form with generated values (name the columns)")
		}
		edits = append(edits, sqlparse.Edit{From: ins.ColumnsEnd, To: ins.ColumnsEnd, Hole: sqlparse.Hole{Kind: sqlparse.HoleColumns}})
	}
	return pc.st.Template.With(edits...), nil
}
