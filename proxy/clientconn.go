package proxy

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"sync/atomic"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/packet"
)

// clientConn is an authenticated client connection: go-mysql's packet
// framing plus what the handshake established.
type clientConn struct {
	*packet.Conn
	user       string
	charset    uint8
	capability uint32
	connID     uint32
	db         string
	tls        bool
}

func (c *clientConn) GetUser() string      { return c.user }
func (c *clientConn) Charset() uint8       { return c.charset }
func (c *clientConn) ConnectionID() uint32 { return c.connID }

var connIDs atomic.Uint32

func init() { connIDs.Store(10000) }

// serverCapabilities are what the proxy announces: no multi-statements or
// multi-results, no CLIENT_DEPRECATE_EOF (backends are spoken to with EOF
// packets too), no compression.
const serverCapabilities = mysql.CLIENT_LONG_PASSWORD | mysql.CLIENT_LONG_FLAG | mysql.CLIENT_CONNECT_WITH_DB |
	mysql.CLIENT_PROTOCOL_41 | mysql.CLIENT_TRANSACTIONS | mysql.CLIENT_SECURE_CONNECTION | mysql.CLIENT_PLUGIN_AUTH |
	mysql.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA | mysql.CLIENT_CONNECT_ATTRS | mysql.CLIENT_SSL

// handshakeResponse is the parsed HandshakeResponse41.
type handshakeResponse struct {
	capability uint32
	charset    uint8
	user       string
	auth       []byte
	db         string
	plugin     string
}

// handshake runs the connection phase: initial handshake, optional TLS
// upgrade, authentication against the configured users' password hashes
// (mysql_native_password or caching_sha2_password, switching the client to
// the method the user's hash supports), and the database check. go-mysql's
// server package needs every password in clear text; the proxy keeps only
// hashes, so it runs this phase itself and uses go-mysql for the framing.
func (s *Server) handshake(raw *bufConn, checkDB func(string) error) (*clientConn, error) {
	c := &clientConn{Conn: packet.NewTLSConn(raw), connID: connIDs.Add(1)}
	salt := make([]byte, 20)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	for i := range salt { // printable, no NUL: some clients treat the salt as a C string
		salt[i] = 33 + salt[i]%94
	}
	if err := c.WritePacket(s.initialHandshake(c.connID, salt)); err != nil {
		return nil, err
	}
	resp, err := s.readHandshakeResponse(c, raw)
	if err != nil {
		return nil, err
	}
	c.user, c.charset, c.capability, c.db = resp.user, resp.charset, resp.capability, resp.db
	if err := s.authenticate(c, resp, salt); err != nil {
		s.writeHandshakeError(c, err)
		return nil, err
	}
	if c.db != "" {
		if err := checkDB(c.db); err != nil {
			s.writeHandshakeError(c, err)
			return nil, err
		}
	}
	if err := clientCharsetError(charsetOfNames(namesForCollation(c.charset))); err != nil {
		// a client charset the proxy cannot read as the server does is
		// refused before its first statement
		s.writeHandshakeError(c, err)
		return nil, err
	}
	ok := appendOK([]byte{0, 0, 0, 0}, 0, 0, mysql.SERVER_STATUS_AUTOCOMMIT, 0, "")
	if err := c.WritePacket(ok); err != nil {
		return nil, err
	}
	return c, nil
}

func (s *Server) initialHandshake(connID uint32, salt []byte) []byte {
	caps := uint32(serverCapabilities)
	b := []byte{0, 0, 0, 0, 10}
	b = append(b, s.announcedVersion(s.baseCtx)...)
	b = append(b, 0)
	b = binary.LittleEndian.AppendUint32(b, connID)
	b = append(b, salt[:8]...)
	b = append(b, 0)
	b = binary.LittleEndian.AppendUint16(b, uint16(caps))
	b = append(b, mysql.DEFAULT_COLLATION_ID)
	b = binary.LittleEndian.AppendUint16(b, mysql.SERVER_STATUS_AUTOCOMMIT)
	b = binary.LittleEndian.AppendUint16(b, uint16(caps>>16))
	b = append(b, byte(len(salt)+1))
	b = append(b, make([]byte, 10)...)
	b = append(b, salt[8:]...)
	b = append(b, 0)
	b = append(b, s.cfg.AuthMethod...)
	return append(b, 0)
}

// readHandshakeResponse reads the client's answer, upgrading to TLS first
// when it sends an SSLRequest.
func (s *Server) readHandshakeResponse(c *clientConn, raw *bufConn) (*handshakeResponse, error) {
	p, err := c.ReadPacket()
	if err != nil {
		return nil, err
	}
	if len(p) == 32 && binary.LittleEndian.Uint32(p)&mysql.CLIENT_SSL != 0 {
		tc := tls.Server(raw, s.tls)
		if err := tc.Handshake(); err != nil {
			return nil, fmt.Errorf("TLS handshake: %w", err)
		}
		c.Conn.Conn = tc
		c.tls = true
		if p, err = c.ReadPacket(); err != nil {
			return nil, err
		}
	}
	if !validHandshakeResponse(p) || len(p) == 32 {
		return nil, newError(mysql.ER_HANDSHAKE_ERROR, "Bad handshake")
	}
	return parseHandshakeResponse(p)
}

// parseHandshakeResponse decodes a payload validHandshakeResponse accepted.
func parseHandshakeResponse(p []byte) (*handshakeResponse, error) {
	r := &handshakeResponse{capability: binary.LittleEndian.Uint32(p), charset: p[8]}
	if r.capability&mysql.CLIENT_PROTOCOL_41 == 0 {
		return nil, newError(mysql.ER_NOT_SUPPORTED_AUTH_MODE, "Client does not support the 4.1 protocol")
	}
	pos := 32
	cstr := func() string {
		i := bytes.IndexByte(p[pos:], 0)
		v := string(p[pos : pos+i])
		pos += i + 1
		return v
	}
	r.user = cstr()
	switch {
	case r.capability&mysql.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA != 0:
		n, k, _ := lenencInt(p[pos:])
		r.auth = p[pos+k : pos+k+int(n)]
		pos += k + int(n)
	case r.capability&mysql.CLIENT_SECURE_CONNECTION != 0:
		n := int(p[pos])
		r.auth = p[pos+1 : pos+1+n]
		pos += 1 + n
	default:
		r.auth = []byte(cstr())
	}
	if r.capability&mysql.CLIENT_CONNECT_WITH_DB != 0 && pos < len(p) {
		r.db = cstr()
	}
	r.plugin = mysql.AUTH_NATIVE_PASSWORD
	if r.capability&mysql.CLIENT_PLUGIN_AUTH != 0 {
		r.plugin = cstr()
	}
	return r, nil
}

// authenticate verifies the user's response, after switching the client to
// the method its stored hash can check.
func (s *Server) authenticate(c *clientConn, r *handshakeResponse, salt []byte) error {
	denied := func() error {
		using := "YES"
		if len(r.auth) == 0 {
			using = "NO"
		}
		return newError(mysql.ER_ACCESS_DENIED_ERROR, "Access denied for user '%s'@'%s' (using password: %s)",
			r.user, hostOf(c.RemoteAddr().String()), using)
	}
	cred, ok := s.creds.users[r.user]
	if !ok {
		return denied()
	}
	method := s.cfg.AuthMethod
	if method == mysql.AUTH_CACHING_SHA2_PASSWORD && !cred.hasSHA2 {
		method = mysql.AUTH_NATIVE_PASSWORD
	}
	if method == mysql.AUTH_NATIVE_PASSWORD && !cred.hasNative {
		method = mysql.AUTH_CACHING_SHA2_PASSWORD
	}
	auth := r.auth
	if r.plugin != method {
		sw := append([]byte{0, 0, 0, 0, mysql.EOF_HEADER}, method...)
		sw = append(sw, 0)
		sw = append(append(sw, salt...), 0)
		if err := c.WritePacket(sw); err != nil {
			return err
		}
		var err error
		if auth, err = c.ReadPacket(); err != nil {
			return err
		}
	}
	var good bool
	var err error
	if method == mysql.AUTH_NATIVE_PASSWORD {
		good, err = cred.verifyNative(salt, auth)
	} else {
		good, err = cred.verifySHA2(salt, auth)
	}
	if err != nil || !good {
		return denied()
	}
	if method == mysql.AUTH_CACHING_SHA2_PASSWORD && len(auth) > 0 {
		// fast_auth_success: the client then waits for the OK.
		if err := c.WritePacket([]byte{0, 0, 0, 0, mysql.MORE_DATE_HEADER, mysql.CACHE_SHA2_FAST_AUTH}); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) writeHandshakeError(c *clientConn, err error) {
	_ = c.WritePacket(appendErr([]byte{0, 0, 0, 0}, toMyError(err)))
}

func hostOf(addr string) string {
	if i := bytes.LastIndexByte([]byte(addr), ':'); i > 0 {
		return addr[:i]
	}
	return addr
}
