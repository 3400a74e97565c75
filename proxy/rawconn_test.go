package proxy_test

import (
	"testing"

	"github.com/go-mysql-org/go-mysql/client"
)

// rawConn sends hand-made command packets to the proxy.
type rawConn struct{ *client.Conn }

func rawConnect(t *testing.T, addr string) *rawConn {
	t.Helper()
	c, err := client.Connect(addr, "app", "app", "app")
	if err != nil {
		t.Fatal(err)
	}
	return &rawConn{c}
}

// command sends cmd+arg and returns the first response packet.
func (c *rawConn) command(t *testing.T, cmd byte, arg []byte) []byte {
	t.Helper()
	c.ResetSequence()
	if err := c.WritePacket(append([]byte{0, 0, 0, 0, cmd}, arg...)); err != nil {
		t.Fatal(err)
	}
	p, err := c.ReadPacket()
	if err != nil {
		t.Fatal(err)
	}
	return p
}
