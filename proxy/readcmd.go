package proxy

import (
	"io"

	"github.com/go-mysql-org/go-mysql/mysql"
)

// errPacketTooLarge is sent before closing a client whose command exceeds
// max_allowed_packet, as MySQL does.
var errPacketTooLarge = &mysql.MyError{Code: mysql.ER_NET_PACKET_TOO_LARGE, State: "08S01",
	Message: "Got a packet bigger than 'max_allowed_packet' bytes"}

// readCommand reads one client command packet (joining 16 MiB continuation
// packets) into the session's reusable buffer. The length is checked from
// the header before any payload is read, so a client cannot make the proxy
// buffer more than MaxAllowedPacket. The returned slice is valid until the
// next call.
func (s *Session) readCommand() ([]byte, error) {
	r := s.conn.Conn.Conn // the client net.Conn (TLS after an upgrade)
	limit := s.srv.cfg.MaxAllowedPacket
	buf := s.rbuf[:0]
	var hdr [4]byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return nil, err
		}
		n := int(hdr[0]) | int(hdr[1])<<8 | int(hdr[2])<<16
		if limit > 0 && len(buf)+n > limit {
			s.conn.Sequence = hdr[3] + 1
			_ = s.writeError(errPacketTooLarge)
			_ = s.raw.Flush()
			return nil, errPacketTooLarge
		}
		start := len(buf)
		if cap(buf)-start < n {
			grown := make([]byte, start, start+n)
			copy(grown, buf)
			buf = grown
		}
		buf = buf[:start+n]
		if _, err := io.ReadFull(r, buf[start:]); err != nil {
			return nil, err
		}
		s.conn.Sequence = hdr[3] + 1
		if n < mysql.MaxPayloadLen {
			break
		}
	}
	if cap(buf) <= 16<<10 {
		s.rbuf = buf // keep small buffers; let big ones go
	}
	return buf, nil
}
