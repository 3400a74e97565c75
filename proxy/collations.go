package proxy

import (
	"strings"
	"sync"

	"github.com/go-mysql-org/go-mysql/mysql"
)

// collationCache knows the real collation of table columns per shard. A
// server reports the connection's collation in a result's column definitions,
// not the column's, so a merge that compares strings (ORDER BY, GROUP BY,
// DISTINCT, MIN/MAX) must look the column's collation up to compare as the
// server would. Entries are per physical table and dropped on any DDL the
// proxy runs.
type collationCache struct {
	mu     sync.Mutex
	tables map[string]map[string]uint16 // "shard/schema/table" → column → collation id
}

func (c *collationCache) invalidate() {
	c.mu.Lock()
	c.tables = nil
	c.mu.Unlock()
}

func isStringType(t byte) bool {
	switch t {
	case mysql.MYSQL_TYPE_VARCHAR, mysql.MYSQL_TYPE_VAR_STRING, mysql.MYSQL_TYPE_STRING,
		mysql.MYSQL_TYPE_TINY_BLOB, mysql.MYSQL_TYPE_MEDIUM_BLOB, mysql.MYSQL_TYPE_LONG_BLOB, mysql.MYSQL_TYPE_BLOB,
		mysql.MYSQL_TYPE_ENUM, mysql.MYSQL_TYPE_SET:
		return true
	}
	return false
}

// columnCollations returns the collation of every string column of fields
// that comes straight from a table column, looked up on shard.
func (s *Session) columnCollations(shard string, fields []*mysql.Field) map[int]uint16 {
	var out map[int]uint16
	for i, f := range fields {
		if !isStringType(f.Type) || len(f.OrgTable) == 0 || len(f.OrgName) == 0 || f.Flag&mysql.BINARY_FLAG != 0 {
			continue
		}
		cols := s.tableCollations(shard, string(f.Schema), string(f.OrgTable))
		if id, ok := cols[strings.ToLower(string(f.OrgName))]; ok {
			if out == nil {
				out = map[int]uint16{}
			}
			out[i] = id
		}
	}
	return out
}

func (s *Session) tableCollations(shard, schema, table string) map[string]uint16 {
	c := &s.srv.collations
	key := shard + "/" + schema + "/" + table
	c.mu.Lock()
	cols, ok := c.tables[key]
	c.mu.Unlock()
	if ok {
		return cols
	}
	cols = map[string]uint16{}
	bc, err := s.acquireFree(shard)
	if err != nil {
		return nil // compare by the reported collation; do not cache the failure
	}
	defer bc.pool.put(bc)
	r, err := bc.exec("SELECT c.COLUMN_NAME, co.ID FROM information_schema.COLUMNS c " +
		"JOIN information_schema.COLLATIONS co ON co.COLLATION_NAME = c.COLLATION_NAME " +
		"WHERE c.TABLE_SCHEMA = '" + escapeString(schema) + "' AND c.TABLE_NAME = '" + escapeString(table) + "'")
	if err != nil {
		return nil
	}
	for i := range r.Values {
		name, _ := r.GetString(i, 0)
		id, _ := r.GetUint(i, 1)
		cols[strings.ToLower(name)] = uint16(id)
	}
	c.mu.Lock()
	if c.tables == nil {
		c.tables = map[string]map[string]uint16{}
	}
	c.tables[key] = cols
	c.mu.Unlock()
	return cols
}

func escapeString(s string) string {
	var b strings.Builder
	quoteString(&b, s)
	q := b.String()
	return q[1 : len(q)-1]
}
