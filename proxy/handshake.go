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
		n, k, ok := lenencInt(p[pos:])
		if !ok || n > uint64(len(p)-pos-k) {
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
	n, k, ok := lenencInt(p)
	if !ok || n > uint64(len(p)-k) {
		return false
	}
	block := p[k : k+int(n)]
	for len(block) > 0 {
		l, k, ok := lenencInt(block)
		if !ok || l > uint64(len(block)-k) {
			return false
		}
		block = block[k+int(l):]
	}
	return true
}

// lenencInt reads a length-encoded integer with bounds checks (go-mysql's
// LengthEncodedInt indexes past the end of a short buffer). NULL (0xfb) and
// 0xff are not lengths.
func lenencInt(b []byte) (n uint64, size int, ok bool) {
	if len(b) == 0 {
		return 0, 0, false
	}
	switch b[0] {
	case 0xfb, 0xff:
		return 0, 0, false
	case 0xfc:
		size = 3
	case 0xfd:
		size = 4
	case 0xfe:
		size = 9
	default:
		return uint64(b[0]), 1, true
	}
	if len(b) < size {
		return 0, 0, false
	}
	for i := size - 1; i >= 1; i-- {
		n = n<<8 | uint64(b[i])
	}
	return n, size, true
}
