package router

import (
	"sort"
	"strings"

	"github.com/shardline/shardline/sqllex"
	"github.com/shardline/shardline/sqlparse"
)

// planDDL: a DDL on a sharded table runs on every partition with physical
// names; on a broadcast table on every shard; on an unsharded table on its
// schema's default shard, unchanged.
func (pc *pctx) planDDL() (Plan, error) {
	st := pc.st
	for i := range pc.refs {
		t := &pc.refs[i]
		if t.cls == clsSystem {
			return nil, unsupported("DDL on the system schema %s", t.schema)
		}
		if (t.cls == clsSharded || t.cls == clsBroadcast) && st.Engine != "" && !strings.EqualFold(st.Engine, "InnoDB") {
			// xa/DESIGN.md, fact 9: a MyISAM row survives XA ROLLBACK, so a
			// cross-shard transaction could not be atomic.
			return nil, unsupported("ENGINE=%s for %s table %s: only InnoDB tables are transactional, which cross-shard commits (XA) need", st.Engine, clsName(t.cls), t.String())
		}
		if t.cls == clsSharded && st.ShardedUnsupported != "" {
			return nil, unsupported("%s (%s)", st.ShardedUnsupported, t.String())
		}
		if t.cls == clsBroadcast && st.Rename {
			return nil, unsupported("renaming broadcast table %s (change the shard map)", t.String())
		}
	}
	if st.Kind == sqlparse.KindDropTable && len(st.DropTables) > 1 {
		special := false
		for i := range pc.refs {
			if pc.refs[i].cls != clsUnsharded {
				special = true
			}
		}
		if special {
			pl := &DDL{}
			for i, name := range st.DropTables {
				// the statement with this table alone in its list
				tpl := st.Template.With(sqlparse.Edit{From: st.DropList.From, To: st.DropList.To,
					Pieces: []sqlparse.Piece{{From: name.From, To: name.To}}})
				sub, err := pc.ddlTargets(i, tpl, []int{i})
				if err != nil {
					return nil, err
				}
				pl.Targets = append(pl.Targets, sub...)
			}
			return pl, nil
		}
	}
	main := st.MainTable
	if main < 0 && len(pc.refs) == 1 {
		main = 0
	}
	if main < 0 {
		for i := range pc.refs {
			if c := pc.refs[i].cls; c == clsSharded || c == clsBroadcast {
				return nil, unsupported("this DDL statement on %s table %s", clsName(c), pc.refs[i].String())
			}
		}
		return pc.planUnsharded()
	}
	all := make([]int, len(pc.refs))
	for i := range all {
		all[i] = i
	}
	if t := &pc.refs[main]; t.cls == clsUnsharded {
		if err := pc.checkDDLRefs(main, all); err != nil {
			return nil, err
		}
		return pc.passthrough(t.shard), nil
	}
	targets, err := pc.ddlTargets(main, st.Template, all)
	if err != nil {
		return nil, err
	}
	return &DDL{Targets: targets}, nil
}

// checkDDLRefs checks that a DDL statement about table ref main refers only
// to tables it can reach where it runs (refs lists the table refs the
// statement mentions).
func (pc *pctx) checkDDLRefs(main int, refs []int) error {
	t := &pc.refs[main]
	for _, i := range refs {
		if i == main {
			continue
		}
		o := &pc.refs[i]
		switch {
		case o.cls == clsBroadcast:
		case t.cls == clsUnsharded && o.cls == clsUnsharded && o.shard == t.shard:
		default:
			return unsupported("DDL on %s table %s that refers to %s table %s", clsName(t.cls), t.String(), clsName(o.cls), o.String())
		}
	}
	return nil
}

// ddlTargets renders a DDL statement about table ref main where that table
// lives; refs lists the table refs the template mentions.
func (pc *pctx) ddlTargets(main int, tpl *sqlparse.Template, refs []int) ([]Target, error) {
	if err := pc.checkDDLRefs(main, refs); err != nil {
		return nil, err
	}
	t := &pc.refs[main]
	var targets []Target
	switch t.cls {
	case clsUnsharded:
		targets = []Target{pc.target(t.shard, tpl, &renderer{})}
	case clsBroadcast:
		for _, s := range pc.c.shards {
			targets = append(targets, pc.target(s, tpl, &renderer{}))
		}
	case clsSharded:
		for p := range t.rule.parts {
			part := &t.rule.parts[p]
			r := &renderer{assign: func(ref int) *cpart {
				if ref == main {
					return part
				}
				return nil
			}}
			targets = append(targets, pc.target(part.shard, tpl, r))
		}
	}
	return targets, nil
}

// planDatabase: CREATE/DROP/ALTER DATABASE run on every shard, once per
// physical database name of the logical schema on that shard (the logical
// name, plus the partitions' own schema names).
func (pc *pctx) planDatabase() (Plan, error) {
	st := pc.st
	if isSystemSchema(st.DB) {
		return nil, unsupported("DDL on the system schema %s", st.DB)
	}
	type pair struct{ shard, db string }
	seen := map[pair]bool{}
	var pairs []pair
	add := func(shard, db string) {
		p := pair{shard, db}
		if !seen[p] {
			seen[p] = true
			pairs = append(pairs, p)
		}
	}
	logical := st.DB
	cs := pc.c.schema(st.DB)
	if cs != nil {
		logical = cs.name
	}
	for _, s := range pc.c.shards {
		add(s, logical)
	}
	if cs != nil {
		for _, name := range sortedKeys(cs.tables) {
			for _, p := range cs.tables[name].parts {
				add(p.shard, p.schema)
			}
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].shard != pairs[j].shard {
			return pairs[i].shard < pairs[j].shard
		}
		return pairs[i].db < pairs[j].db
	})
	pl := &DDL{}
	for _, p := range pairs {
		pl.Targets = append(pl.Targets, pc.target(p.shard, st.Template, &renderer{database: p.db}))
	}
	return pl, nil
}

// planSet: SET statements are handled by the proxy from Plan.Sets.
func (pc *pctx) planSet() (Plan, error) {
	if len(pc.st.Tables) > 0 {
		return nil, unsupported("SET with a subquery on tables")
	}
	pl := &Set{SQL: pc.text.SQL}
	for _, sv := range pc.st.Sets {
		v := pc.setValue(sv)
		if sv.Name == "transaction_read_only" {
			v = strings.Trim(v, "'")
		}
		pl.Vars = append(pl.Vars, SetVar{Name: sv.Name, Global: sv.Global, Value: v, Collate: sv.Collate, OneShot: sv.OneShot})
	}
	return pl, nil
}

// setValue is the text of an assignment's value as the client wrote it
// ('?' markers of a prepared SET replaced by literals of the bound values,
// quoted for the session's sql_mode).
func (pc *pctx) setValue(sv sqlparse.SetVar) string {
	switch {
	case sv.Value.To > sv.Value.From:
	case sv.Fixed != "":
		return sv.Fixed
	default:
		return "DEFAULT"
	}
	t := pc.text
	if pc.args == nil {
		return t.Span(sv.Value.From, sv.Value.To)
	}
	var b strings.Builder
	from := sv.Value.From
	for i := sv.Value.From; i < sv.Value.To; i++ {
		if t.Toks[i].Kind != sqllex.Param {
			continue
		}
		b.WriteString(t.Span(from, i))
		if i > from {
			b.WriteString(t.SQL[t.Toks[i-1].End:t.Toks[i].Start])
		}
		b.WriteString(pc.sqlLiteral(pc.args[t.ParamOrdinal(i)]))
		from = i + 1
	}
	if from < sv.Value.To {
		if from > sv.Value.From {
			b.WriteString(t.SQL[t.Toks[from-1].End:t.Toks[from].Start])
		}
		b.WriteString(t.Span(from, sv.Value.To))
	}
	return b.String()
}
