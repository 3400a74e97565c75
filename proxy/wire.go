package proxy

import (
	"encoding/binary"

	"github.com/go-mysql-org/go-mysql/mysql"
)

// Packet builders for what the proxy itself says to a client. Every builder
// appends to a buffer whose first 4 bytes are reserved for the packet header,
// as packet.Conn.WritePacket expects.

func appendOK(b []byte, affected, insertID uint64, status, warnings uint16, info string) []byte {
	b = append(b, mysql.OK_HEADER)
	b = mysql.AppendLengthEncodedInteger(b, affected)
	b = mysql.AppendLengthEncodedInteger(b, insertID)
	b = binary.LittleEndian.AppendUint16(b, status)
	b = binary.LittleEndian.AppendUint16(b, warnings)
	return append(b, info...)
}

func appendErr(b []byte, e *mysql.MyError) []byte {
	b = append(b, mysql.ERR_HEADER)
	b = binary.LittleEndian.AppendUint16(b, e.Code)
	b = append(b, '#')
	state := e.State
	if len(state) != 5 {
		state = "HY000"
	}
	b = append(b, state...)
	return append(b, e.Message...)
}

func appendEOF(b []byte, status, warnings uint16) []byte {
	b = append(b, mysql.EOF_HEADER)
	b = binary.LittleEndian.AppendUint16(b, warnings)
	return binary.LittleEndian.AppendUint16(b, status)
}

// isEOF reports whether p (a payload) is an EOF packet rather than a row that
// happens to start with 0xfe.
func isEOF(p []byte) bool { return len(p) > 0 && p[0] == mysql.EOF_HEADER && len(p) < 9 }

// patchStatus rewrites the status flags of a backend's final OK or EOF
// payload so that the client sees the session's autocommit and transaction
// state rather than the pooled backend connection's.
func patchStatus(p []byte, status uint16) {
	const keep = ^(mysql.SERVER_STATUS_AUTOCOMMIT | mysql.SERVER_STATUS_IN_TRANS)
	switch {
	case isEOF(p) && len(p) >= 5:
		old := binary.LittleEndian.Uint16(p[3:5])
		binary.LittleEndian.PutUint16(p[3:5], old&keep|status)
	case len(p) >= 7 && p[0] == mysql.OK_HEADER:
		_, _, n1 := mysql.LengthEncodedInt(p[1:])
		_, _, n2 := mysql.LengthEncodedInt(p[1+n1:])
		pos := 1 + n1 + n2
		if len(p) >= pos+2 {
			old := binary.LittleEndian.Uint16(p[pos:])
			binary.LittleEndian.PutUint16(p[pos:], old&keep|status)
		}
	}
}

// parseOK extracts affected rows, last insert id and warnings from an OK payload.
func parseOK(p []byte) (affected, insertID uint64, warnings uint16) {
	if len(p) < 1 {
		return 0, 0, 0
	}
	a, _, n1 := mysql.LengthEncodedInt(p[1:])
	id, _, n2 := mysql.LengthEncodedInt(p[1+n1:])
	pos := 1 + n1 + n2 + 2
	if len(p) >= pos+2 {
		warnings = binary.LittleEndian.Uint16(p[pos:])
	}
	return a, id, warnings
}

// parseErr decodes an ERR payload into a MyError with the backend's own code
// and SQLSTATE, so backend errors reach the client unchanged.
func parseErr(p []byte) *mysql.MyError {
	e := &mysql.MyError{Code: mysql.ER_UNKNOWN_ERROR, State: "HY000"}
	if len(p) < 3 {
		e.Message = "malformed error packet from backend"
		return e
	}
	e.Code = binary.LittleEndian.Uint16(p[1:3])
	rest := p[3:]
	if len(rest) >= 6 && rest[0] == '#' {
		e.State = string(rest[1:6])
		rest = rest[6:]
	}
	e.Message = string(rest)
	return e
}
