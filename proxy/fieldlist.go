package proxy

import (
	"bytes"

	"github.com/go-mysql-org/go-mysql/mysql"
)

// handleFieldList answers COM_FIELD_LIST (the mysql CLI's column name
// completion) from the table's home: the default shard, or the first
// partition of a sharded table under its physical name.
func (s *Session) handleFieldList(data []byte) error {
	table, wildcard, _ := bytes.Cut(data, []byte{0})
	m := s.srv.deps.Map.ShardMap()
	sc, ok := m.Schemas[s.st.db]
	if !ok {
		return newError(mysql.ER_NO_DB_ERROR, "No database selected")
	}
	shard, physical := sc.DefaultShard, string(table)
	if rule, ok := sc.Tables[string(table)]; ok && len(rule.Partitions) > 0 {
		part := rule.Partitions[0]
		shard, physical = part.Shard, part.Table
	}
	bc, release, err := s.live.acquire(s.srv.baseCtx, shard)
	if err != nil {
		return err
	}
	defer release()
	arg := append(append([]byte(physical), 0), wildcard...)
	if err := bc.writeCommand(mysql.COM_FIELD_LIST, arg); err != nil {
		return err
	}
	for {
		p, err := bc.readPacket(s.packet())
		if err != nil {
			return err
		}
		if p[4] == mysql.ERR_HEADER {
			return parseErr(p[4:])
		}
		if err := s.writeClient(p); err != nil {
			bc.markBroken()
			return err
		}
		if isEOF(p[4:]) {
			return nil
		}
	}
}
