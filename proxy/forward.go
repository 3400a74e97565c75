package proxy

import (
	"github.com/go-mysql-org/go-mysql/mysql"
)

// forwardResult streams the backend's response to the command just sent on
// bc to the client packet by packet, without decoding rows. Only the final
// OK/EOF is touched (its status flags are the session's). A backend error is
// returned, not written: the caller writes it (and may end the transaction).
func (s *Session) forwardResult(bc *backendConn) error {
	buf := s.packet()
	p, err := bc.readPacket(buf)
	if err != nil {
		return err
	}
	switch p[4] {
	case mysql.ERR_HEADER:
		return parseErr(p[4:])
	case mysql.OK_HEADER:
		_, id, _ := parseOK(p[4:])
		if id != 0 {
			s.lastInsert = id
		}
		patchStatus(p[4:], s.status())
		return s.writeClient(p)
	case mysql.LocalInFile_HEADER:
		return s.refuseLocalInfile(bc)
	}
	// A result set: column count, definitions, EOF, rows, EOF.
	n, _, _ := mysql.LengthEncodedInt(p[4:])
	if err := s.writeClient(p); err != nil {
		return err
	}
	for i := uint64(0); i <= n; i++ {
		if p, err = bc.readPacket(p); err != nil {
			return err
		}
		if err := s.writeClient(p); err != nil {
			return err
		}
	}
	return s.forwardRows(bc, p)
}

// forwardRows copies row packets until the closing EOF (or an error).
func (s *Session) forwardRows(bc *backendConn, buf []byte) error {
	for {
		p, err := bc.readPacket(buf)
		if err != nil {
			return err
		}
		buf = p
		payload := p[4:]
		if payload[0] == mysql.ERR_HEADER {
			return parseErr(payload)
		}
		if isEOF(payload) {
			patchStatus(payload, s.status())
			s.buf = p[:0]
			return s.writeClient(p)
		}
		if err := s.writeClient(p); err != nil {
			return err
		}
	}
}

// writeClient writes one packet (header space included) to the client; a
// failure ends the session.
func (s *Session) writeClient(p []byte) error {
	if err := s.conn.WritePacket(p); err != nil {
		return &clientError{err}
	}
	return nil
}

// refuseLocalInfile answers the backend's LOCAL INFILE request with an empty
// file and tells the client that LOAD DATA LOCAL is not supported.
func (s *Session) refuseLocalInfile(bc *backendConn) error {
	if err := bc.WritePacket([]byte{0, 0, 0, 0}); err != nil {
		bc.markBroken()
	} else if p, err := bc.readPacket(nil); err == nil && p[4] == mysql.OK_HEADER {
		// The server loaded nothing.
	}
	return newError(mysql.ER_NOT_SUPPORTED_YET, "LOAD DATA LOCAL INFILE is not supported by Shardline")
}
