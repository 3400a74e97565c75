package proxy

import (
	"bufio"
	"net"
)

// bufConn buffers a client connection both ways. Writes: a result of many
// small row packets costs a few large writes instead of a syscall per row;
// pending output is flushed before every read (the client may be waiting for
// it) and explicitly after every command. Reads: go-mysql reads TLS-capable
// connections unbuffered, header and payload separately; the buffer makes
// that one syscall per batch of packets.
type bufConn struct {
	net.Conn
	r *bufio.Reader
	w *bufio.Writer
	// checkFirst is set until the client's first packet (its handshake
	// response) has been validated.
	checkFirst bool
}

func newBufConn(c net.Conn) *bufConn {
	return &bufConn{Conn: c, r: bufio.NewReaderSize(c, 4<<10), w: bufio.NewWriterSize(c, 16<<10), checkFirst: true}
}

func (c *bufConn) Write(p []byte) (int, error) { return c.w.Write(p) }

func (c *bufConn) Read(p []byte) (int, error) {
	if c.w.Buffered() > 0 && c.r.Buffered() == 0 {
		if err := c.w.Flush(); err != nil {
			return 0, err
		}
	}
	if c.checkFirst {
		c.checkFirst = false
		if err := c.checkHandshakeResponse(); err != nil {
			return 0, err
		}
	}
	return c.r.Read(p)
}

// checkHandshakeResponse peeks at the client's first packet and refuses a
// malformed one before go-mysql parses it.
func (c *bufConn) checkHandshakeResponse() error {
	hdr, err := c.r.Peek(4)
	if err != nil {
		return err
	}
	n := int(hdr[0]) | int(hdr[1])<<8 | int(hdr[2])<<16
	if 4+n > c.r.Size() {
		return errBadHandshake
	}
	p, err := c.r.Peek(4 + n)
	if err != nil {
		return err
	}
	if !validHandshakeResponse(p[4:]) {
		return errBadHandshake
	}
	return nil
}

func (c *bufConn) Flush() error { return c.w.Flush() }

// Close flushes pending output first: go-mysql closes the connection right
// after writing a handshake error, which must still reach the client.
func (c *bufConn) Close() error {
	_ = c.w.Flush()
	return c.Conn.Close()
}
