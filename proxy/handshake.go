package proxy

import (
	"bytes"
	"encoding/binary"
	"errors"

	"github.com/go-mysql-org/go-mysql/mysql"
)

// errBadHandshake ends a connection whose handshake response is malformed.
var errBadHandshake = errors.New("malformed handshake response")

// validHandshakeResponse checks that a HandshakeResponse41 (or SSLRequest)
// payload is well-formed before go-mysql parses it: go-mysql v1.12.0
// indexes past the end of short or unterminated fields and panics (found
// by FuzzHandshake).
func validHandshakeResponse(p []byte) bool {
	if len(p) < 32 {
		return false
	}
	caps := binary.LittleEndian.Uint32(p)
	if len(p) == 32 {
		return caps&mysql.CLIENT_SSL != 0 // SSLRequest; TLS follows
	}
	pos := 32
	nul := func() bool { // a NUL-terminated string at pos
		i := bytes.IndexByte(p[pos:], 0)
		if i < 0 {
			return false
		}
		pos += i + 1
		return true
	}
	if !nul() { // user name
		return false
	}
	switch {
	case caps&mysql.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA != 0:
		n, isNull, k := mysql.LengthEncodedInt(p[pos:])
		if isNull || k == 0 || pos+k+int(n) > len(p) || int(n) < 0 {
			return false
		}
		pos += k + int(n)
	case caps&mysql.CLIENT_SECURE_CONNECTION != 0:
		if pos >= len(p) || pos+1+int(p[pos]) > len(p) {
			return false
		}
		pos += 1 + int(p[pos])
	default:
		if !nul() {
			return false
		}
	}
	if caps&mysql.CLIENT_CONNECT_WITH_DB != 0 && pos < len(p) && !nul() {
		return false
	}
	if caps&mysql.CLIENT_PLUGIN_AUTH != 0 && !nul() {
		return false
	}
	if caps&mysql.CLIENT_CONNECT_ATTRS != 0 && pos < len(p) {
		return validAttributes(p[pos:])
	}
	return true
}

// validAttributes checks a length-prefixed block of length-encoded strings.
func validAttributes(p []byte) bool {
	n, isNull, k := mysql.LengthEncodedInt(p)
	if isNull || k == 0 || int(n) < 0 || k+int(n) > len(p) {
		return false
	}
	block := p[k : k+int(n)]
	for len(block) > 0 {
		l, isNull, k := mysql.LengthEncodedInt(block)
		if isNull || k == 0 || int(l) < 0 || k+int(l) > len(block) {
			return false
		}
		block = block[k+int(l):]
	}
	return true
}
