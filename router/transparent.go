package router

import (
	"errors"
	"strings"

	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/shardline/shardline/sqllex"
	"github.com/shardline/shardline/sqlparse"
)

// Statements the proxy cannot read — syntax its parser does not have
// (CREATE TRIGGER, CREATE EVENT, MariaDB-only forms) or a genuine syntax
// error — and stored-program statements (CREATE PROCEDURE / FUNCTION, CALL)
// go to the default shard of the session's schema as the client wrote
// them, with the server as the judge of their syntax, when they name no
// table that has a rule and no partition: in a schema without sharding
// rules Shardline is transparent. A statement that names a sharded or
// broadcast table, or a partition, anywhere in its text (even inside a
// string, as PREPARE ... FROM '...' would) is refused: the proxy cannot
// route what it cannot read.

// transparent returns the plan of a statement the proxy does not read,
// or the name of a table with a rule it names (nil, "": refused for
// another reason).
func (pc *pctx) transparent(t *sqlparse.Text) (Plan, string) {
	if len(t.Toks) == 0 || t.Toks[0].Kind != sqllex.Ident {
		return nil, ""
	}
	switch strings.ToLower(t.SQL[t.Toks[0].Start:t.Toks[0].End]) {
	case "xa", "set", "use", "begin", "start", "commit", "rollback", "savepoint", "release", "kill",
		"load", "lock", "unlock", "prepare", "execute", "deallocate", "grant", "revoke", "shutdown",
		"flush", "reset", "purge", "change", "install", "uninstall", "binlog", "handler":
		return nil, "" // the proxy must see these: they change what it tracks or reach past it
	}
	for i, tk := range t.Toks {
		switch tk.Kind {
		case sqllex.Ident, sqllex.QuotedIdent:
			if n := strings.ToLower(t.IdentValue(i)); pc.c.ruled[n] {
				return nil, n
			}
		case sqllex.String:
			v := strings.ToLower(string(t.StringValue(i)))
			for n := range pc.c.ruled {
				if strings.Contains(v, n) {
					return nil, n
				}
			}
		}
	}
	shard, err := pc.defaultShard()
	if err != nil {
		return nil, ""
	}
	return &Route{Target: Target{Shard: shard, SQL: t.SQL, Args: pc.args, PassArgs: true}, Write: true}, ""
}

// unreadable is the error for a statement the proxy cannot read that names
// table (a table with a rule, or a partition).
func unreadable(what, table string) error {
	return unsupported("%s that names %s: Shardline cannot read it, and routes statements on tables with rules only by reading them", what, table)
}

// passThroughUnsupported lists the statements the analysis refuses that a
// schema without rules passes through (stored programs).
var passThroughUnsupported = map[string]bool{
	"CALL (stored procedures)": true,
	"stored procedures":        true,
}

func isParseError(err error) bool {
	var me *mysql.MyError
	return errors.As(err, &me) && me.Code == mysql.ER_PARSE_ERROR
}
