package proxy

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/shardline/shardline/router"
)

// clientStmt is a statement the client prepared. It is planned at every
// EXECUTE by its bound values (the planner caches the analysis by SQL text,
// so the SQL is parsed once) and prepared lazily on each backend connection
// that runs it.
type clientStmt struct {
	id       uint32
	sql      string
	params   int
	columns  int
	types    []byte         // 2 bytes per parameter, from the last EXECUTE that bound them
	longData map[int][]byte // COM_STMT_SEND_LONG_DATA chunks by parameter
}

// stmtArgs carries what a COM_STMT_EXECUTE adds to a statement; nil for
// COM_QUERY.
type stmtArgs struct {
	stmt       *clientStmt
	args       []any
	packet     []byte // the client's COM_STMT_EXECUTE payload after the command byte
	nullBitmap []byte
	valuesOff  int // where the parameter values start in packet
}

func (s *Session) handlePrepare(sql string) error {
	limit := s.srv.cfg.MaxPreparedStatements
	if limit <= 0 {
		limit = defaultMaxPrepared
	}
	if len(s.stmts) >= limit {
		return newError(mysql.ER_MAX_PREPARED_STMT_COUNT_REACHED,
			"Can't create more than max_prepared_stmt_count statements (current value: %d)", limit)
	}
	pr, err := s.srv.deps.Planner.Prepare(sql, s.srv.deps.Map.ShardMap(), s.routerSession())
	if err != nil {
		return err
	}
	s.nextStmt++
	st := &clientStmt{id: s.nextStmt, sql: sql, params: pr.ParamCount}
	var paramDefs, columnDefs [][]byte
	switch p := pr.Probe.(type) {
	case *router.LastInsertID:
		columnDefs = dumpFields(lastInsertIDFields(p.Columns))
	case *router.Static:
		columnDefs = dumpFields(staticFields(p.Result.Columns))
	default:
		targets := router.Targets(p)
		if len(targets) == 0 {
			break
		}
		// Prepare the physical statement on its shard for real metadata.
		bst, err := s.probePrepare(targets[0])
		if err != nil {
			return err
		}
		if bst.params == st.params {
			paramDefs = bst.paramDefs
		}
		columnDefs = bst.columnDefs
		if sc, ok := p.(*router.Scatter); ok && sc.Merge.OutputColumns > 0 && sc.Merge.OutputColumns < len(columnDefs) {
			columnDefs = columnDefs[:sc.Merge.OutputColumns]
		}
	}
	st.columns = len(columnDefs)
	s.stmts[st.id] = st
	return s.writePrepareOK(st, paramDefs, columnDefs)
}

func dumpFields(fields []*mysql.Field) [][]byte {
	out := make([][]byte, len(fields))
	for i, f := range fields {
		out[i] = f.Dump()
	}
	return out
}

func (s *Session) probePrepare(t router.Target) (*backendStmt, error) {
	bc, err := s.acquireFree(s.srv.baseCtx, t.Shard)
	if err != nil {
		return nil, err
	}
	defer bc.pool.put(bc)
	return bc.prepare(t.SQL)
}

func (s *Session) writePrepareOK(st *clientStmt, paramDefs, columnDefs [][]byte) error {
	b := append(s.packet(), mysql.OK_HEADER)
	b = binary.LittleEndian.AppendUint32(b, st.id)
	b = binary.LittleEndian.AppendUint16(b, uint16(st.columns))
	b = binary.LittleEndian.AppendUint16(b, uint16(st.params))
	b = append(b, 0, 0, 0)
	if err := s.writeClient(b); err != nil {
		return err
	}
	if st.params > 0 {
		if paramDefs == nil {
			def := (&mysql.Field{Name: []byte("?"), Type: mysql.MYSQL_TYPE_VAR_STRING, Charset: 63}).Dump()
			for i := 0; i < st.params; i++ {
				paramDefs = append(paramDefs, def)
			}
		}
		if err := s.writeDefs(paramDefs); err != nil {
			return err
		}
	}
	if st.columns > 0 {
		return s.writeDefs(columnDefs)
	}
	return nil
}

func (s *Session) writeDefs(defs [][]byte) error {
	for _, d := range defs {
		if err := s.writeClient(append(s.packet(), d...)); err != nil {
			return err
		}
	}
	return s.writeClient(appendEOF(s.packet(), s.status(), 0))
}

func (s *Session) stmt(data []byte) (*clientStmt, error) {
	if len(data) < 4 {
		return nil, newError(mysql.ER_MALFORMED_PACKET, "Malformed packet: statement id missing")
	}
	id := binary.LittleEndian.Uint32(data)
	st, ok := s.stmts[id]
	if !ok {
		return nil, newError(mysql.ER_UNKNOWN_STMT_HANDLER, "Unknown prepared statement handler (%d) given to mysqld_stmt_execute", id)
	}
	return st, nil
}

func (s *Session) handleExecute(data []byte) error {
	st, err := s.stmt(data)
	if err != nil {
		return err
	}
	defer func() { st.longData = nil }() // long data is consumed by EXECUTE
	a := &stmtArgs{stmt: st, packet: data}
	if err := a.decode(); err != nil {
		return err
	}
	p, err := s.srv.deps.Planner.Plan(st.sql, a.args, s.srv.deps.Map.ShardMap(), s.planSession())
	if err != nil {
		return err
	}
	return s.execute(&call{sql: st.sql, args: a}, p)
}

func (s *Session) handleLongData(data []byte) {
	st, err := s.stmt(data)
	if err != nil || len(data) < 6 {
		return
	}
	param := int(binary.LittleEndian.Uint16(data[4:]))
	if param >= st.params {
		return
	}
	if st.longData == nil {
		st.longData = map[int][]byte{}
	}
	st.longData[param] = append(st.longData[param], data[6:]...)
}

func (s *Session) handleStmtClose(data []byte) {
	if st, err := s.stmt(data); err == nil {
		delete(s.stmts, st.id)
	}
}

func (s *Session) handleStmtReset(data []byte) error {
	st, err := s.stmt(data)
	if err != nil {
		return err
	}
	st.longData = nil
	return s.writeOK(0, 0, 0)
}

// sendExecute sends the client's EXECUTE to bc for the statement sql,
// prepared on bc as needed: the statement id is the backend's, the parameter
// types are always included (the backend statement may be new), long data is
// sent first, and cursors are not requested.
func (s *Session) sendExecute(bc *backendConn, sql string, a *stmtArgs) error {
	bst, err := bc.prepare(sql)
	if err != nil {
		return err
	}
	st := a.stmt
	for param, chunk := range st.longData {
		b := binary.LittleEndian.AppendUint32(nil, bst.id)
		b = binary.LittleEndian.AppendUint16(b, uint16(param))
		if err := bc.writeCommand(mysql.COM_STMT_SEND_LONG_DATA, append(b, chunk...)); err != nil {
			return err
		}
	}
	b := binary.LittleEndian.AppendUint32(make([]byte, 0, 16+len(a.packet)), bst.id)
	b = append(b, 0)          // no cursor
	b = append(b, 1, 0, 0, 0) // iteration count
	if st.params > 0 {
		b = append(b, a.nullBitmap...)
		b = append(b, 1)
		b = append(b, st.types...)
		b = append(b, a.packet[a.valuesOff:]...)
	}
	return bc.writeCommand(mysql.COM_STMT_EXECUTE, b)
}

// decode parses the EXECUTE payload: null bitmap, types (saved on the
// statement when bound anew) and values (for routing).
func (a *stmtArgs) decode() error {
	st, data := a.stmt, a.packet
	n := st.params
	if n == 0 {
		return nil
	}
	pos := 9 // id, flags, iteration count
	nb := (n + 7) / 8
	if len(data) < pos+nb+1 {
		return newError(mysql.ER_MALFORMED_PACKET, "Malformed packet: EXECUTE too short for %d parameters", n)
	}
	a.nullBitmap = data[pos : pos+nb]
	pos += nb
	if data[pos] == 1 {
		pos++
		if len(data) < pos+2*n {
			return newError(mysql.ER_MALFORMED_PACKET, "Malformed packet: parameter types missing")
		}
		st.types = append(st.types[:0], data[pos:pos+2*n]...)
		pos += 2 * n
	} else {
		pos++
	}
	if len(st.types) != 2*n {
		return newError(mysql.ER_MALFORMED_PACKET, "Malformed packet: EXECUTE without parameter types")
	}
	a.valuesOff = pos
	a.args = make([]any, n)
	for i := 0; i < n; i++ {
		if a.nullBitmap[i/8]&(1<<(i%8)) != 0 {
			continue
		}
		if d, ok := st.longData[i]; ok {
			a.args[i] = d
			continue
		}
		v, used, err := decodeParam(st.types[2*i], st.types[2*i+1]&0x80 != 0, data[pos:])
		if err != nil {
			return newError(mysql.ER_MALFORMED_PACKET, "Malformed packet: parameter %d: %v", i+1, err)
		}
		a.args[i] = v
		pos += used
	}
	return nil
}

// decodeParam decodes one binary-protocol parameter value.
func decodeParam(typ byte, unsigned bool, b []byte) (any, int, error) {
	need := func(n int) error {
		if len(b) < n {
			return fmt.Errorf("value truncated")
		}
		return nil
	}
	switch typ {
	case mysql.MYSQL_TYPE_NULL:
		return nil, 0, nil
	case mysql.MYSQL_TYPE_TINY:
		if err := need(1); err != nil {
			return nil, 0, err
		}
		if unsigned {
			return uint64(b[0]), 1, nil
		}
		return int64(int8(b[0])), 1, nil
	case mysql.MYSQL_TYPE_SHORT, mysql.MYSQL_TYPE_YEAR:
		if err := need(2); err != nil {
			return nil, 0, err
		}
		v := binary.LittleEndian.Uint16(b)
		if unsigned {
			return uint64(v), 2, nil
		}
		return int64(int16(v)), 2, nil
	case mysql.MYSQL_TYPE_LONG, mysql.MYSQL_TYPE_INT24:
		if err := need(4); err != nil {
			return nil, 0, err
		}
		v := binary.LittleEndian.Uint32(b)
		if unsigned {
			return uint64(v), 4, nil
		}
		return int64(int32(v)), 4, nil
	case mysql.MYSQL_TYPE_LONGLONG:
		if err := need(8); err != nil {
			return nil, 0, err
		}
		v := binary.LittleEndian.Uint64(b)
		if unsigned {
			return v, 8, nil
		}
		return int64(v), 8, nil
	case mysql.MYSQL_TYPE_FLOAT:
		if err := need(4); err != nil {
			return nil, 0, err
		}
		return float64(math.Float32frombits(binary.LittleEndian.Uint32(b))), 4, nil
	case mysql.MYSQL_TYPE_DOUBLE:
		if err := need(8); err != nil {
			return nil, 0, err
		}
		return math.Float64frombits(binary.LittleEndian.Uint64(b)), 8, nil
	case mysql.MYSQL_TYPE_DATE, mysql.MYSQL_TYPE_DATETIME, mysql.MYSQL_TYPE_TIMESTAMP:
		return decodeDateTime(b)
	case mysql.MYSQL_TYPE_TIME:
		return decodeTime(b)
	}
	l, k, ok := lenencInt(b) // bounds-checked: the packet comes from the client
	if !ok || l > uint64(len(b)-k) {
		return nil, 0, fmt.Errorf("string value truncated")
	}
	v, n := b[k:k+int(l)], k+int(l)
	switch typ {
	case mysql.MYSQL_TYPE_TINY_BLOB, mysql.MYSQL_TYPE_MEDIUM_BLOB, mysql.MYSQL_TYPE_LONG_BLOB, mysql.MYSQL_TYPE_BLOB:
		return append([]byte(nil), v...), n, nil
	}
	return string(v), n, nil
}

func decodeDateTime(b []byte) (any, int, error) {
	if len(b) < 1 || len(b) < 1+int(b[0]) {
		return nil, 0, fmt.Errorf("date truncated")
	}
	l := int(b[0])
	d := b[1 : 1+l]
	var y, mo, day, h, mi, sec, us int
	if l >= 4 {
		y, mo, day = int(binary.LittleEndian.Uint16(d)), int(d[2]), int(d[3])
	}
	if l >= 7 {
		h, mi, sec = int(d[4]), int(d[5]), int(d[6])
	}
	if l >= 11 {
		us = int(binary.LittleEndian.Uint32(d[7:]))
	}
	s := fmt.Sprintf("%04d-%02d-%02d %02d:%02d:%02d", y, mo, day, h, mi, sec)
	if us > 0 {
		s += fmt.Sprintf(".%06d", us)
	}
	return s, 1 + l, nil
}

func decodeTime(b []byte) (any, int, error) {
	if len(b) < 1 || len(b) < 1+int(b[0]) {
		return nil, 0, fmt.Errorf("time truncated")
	}
	l := int(b[0])
	d := b[1 : 1+l]
	if l == 0 {
		return "00:00:00", 1, nil
	}
	if l < 8 {
		return nil, 0, fmt.Errorf("bad time length %d", l)
	}
	sign := ""
	if d[0] == 1 {
		sign = "-"
	}
	hours := int(binary.LittleEndian.Uint32(d[1:]))*24 + int(d[5])
	s := fmt.Sprintf("%s%02d:%02d:%02d", sign, hours, d[6], d[7])
	if l >= 12 {
		s += fmt.Sprintf(".%06d", binary.LittleEndian.Uint32(d[8:]))
	}
	return s, 1 + l, nil
}
