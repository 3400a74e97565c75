package proxy_test

import (
	"encoding/binary"
	"net"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/shardline/shardline/proxy"
)

// FuzzCommand sends one arbitrary command packet (after preparing a
// statement, so EXECUTE/LONG_DATA/RESET/CLOSE have something to hit) to a
// proxy in front of a real MariaDB. The session may answer with an error or
// close, but the proxy must never panic and must keep serving other clients.
// If it fails, one malformed packet can crash sessions or the node.
func FuzzCommand(f *testing.F) {
	exec := func(id uint32, rest ...byte) []byte {
		return append(binary.LittleEndian.AppendUint32(nil, id), rest...)
	}
	f.Add(mysql.COM_QUERY, []byte("SELECT 1"))
	f.Add(mysql.COM_QUERY, []byte("SELECT ?"))
	f.Add(mysql.COM_INIT_DB, []byte("app"))
	f.Add(mysql.COM_FIELD_LIST, []byte("t\x00"))
	f.Add(mysql.COM_STMT_PREPARE, []byte("SELECT ? + ?"))
	f.Add(mysql.COM_STMT_EXECUTE, exec(1, 0, 1, 0, 0, 0, 0, 1, 8, 0, 8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0))
	f.Add(mysql.COM_STMT_EXECUTE, exec(1, 0, 1, 0, 0, 0, 3, 0))
	f.Add(mysql.COM_STMT_EXECUTE, exec(1, 0, 1, 0, 0, 0, 0, 1, 0xfd, 0, 0xfe, 0, 0xfc, 0xff, 0xff, 0xff, 1))
	f.Add(mysql.COM_STMT_SEND_LONG_DATA, exec(1, 0, 0, 'x', 'y'))
	f.Add(mysql.COM_STMT_RESET, exec(1))
	f.Add(mysql.COM_STMT_CLOSE, exec(7))
	f.Add(mysql.COM_SET_OPTION, []byte{1, 0})
	f.Add(mysql.COM_RESET_CONNECTION, []byte{})
	f.Add(byte(0x1f), []byte{0xff})
	e := startEnv(f, 1, passThroughMap, nil)
	f.Fuzz(func(t *testing.T, cmd byte, payload []byte) {
		if cmd == mysql.COM_QUIT {
			return
		}
		before := e.srv.Panics()
		c, err := client.Connect(e.addr, "app", "app", "app")
		if err != nil {
			t.Fatalf("connect: %v", err)
		}
		defer c.Close()
		if _, err := c.Prepare("SELECT ? + ?"); err != nil {
			t.Fatalf("prepare: %v", err)
		}
		c.ResetSequence()
		if err := c.WritePacket(append([]byte{0, 0, 0, 0, cmd}, payload...)); err != nil {
			return
		}
		if cmd != mysql.COM_STMT_CLOSE && cmd != mysql.COM_STMT_SEND_LONG_DATA { // these have no answer
			if nc := c.Conn.Conn; nc != nil {
				_ = nc.SetReadDeadline(time.Now().Add(2 * time.Second))
			}
			_, _ = c.ReadPacket() // an answer, an error or a closed connection
		}
		if n := e.srv.Panics() - before; n != 0 {
			t.Fatalf("command 0x%02x %q: %d sessions panicked", cmd, payload, n)
		}
		probe, err := client.Connect(e.addr, "app", "app", "app")
		if err != nil {
			t.Fatalf("proxy stopped serving after command 0x%02x %q: %v", cmd, payload, err)
		}
		defer probe.Close()
		if _, err := probe.Execute("SELECT 1"); err != nil {
			t.Fatalf("proxy stopped serving after command 0x%02x %q: %v", cmd, payload, err)
		}
	})
}

// FuzzHandshake sends an arbitrary handshake response. The proxy must answer
// with an error or close, never panic, and keep accepting clients. If it
// fails, unauthenticated bytes can crash the proxy.
func FuzzHandshake(f *testing.F) {
	f.Add([]byte{0x85, 0xa6, 0xff, 0x01, 0, 0, 0, 1, 0x21})
	f.Add(append(append([]byte{0x8d, 0xa2, 0x0a, 0x00, 0, 0, 0, 1, 0x2d}, make([]byte, 23)...), []byte("app\x00\x14")...))
	f.Add([]byte{0x00, 0x08, 0, 0, 0, 0, 0, 0, 8}) // SSL request with too few capabilities
	f.Add([]byte{})
	e := startEnv(f, 1, passThroughMap, func(c *proxy.Config) { c.HandshakeTimeout = 2 * time.Second })
	f.Fuzz(func(t *testing.T, resp []byte) {
		before := e.srv.Panics()
		conn, err := net.Dial("tcp", e.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		hdr := make([]byte, 4)
		if _, err := readFull(conn, hdr); err != nil {
			t.Fatalf("no initial handshake: %v", err)
		}
		greeting := make([]byte, int(hdr[0])|int(hdr[1])<<8|int(hdr[2])<<16)
		if _, err := readFull(conn, greeting); err != nil {
			t.Fatal(err)
		}
		n := len(resp)
		pkt := append([]byte{byte(n), byte(n >> 8), byte(n >> 16), 1}, resp...)
		_, _ = conn.Write(pkt)
		buf := make([]byte, 512)
		_, _ = conn.Read(buf)
		if n := e.srv.Panics() - before; n != 0 {
			t.Fatalf("handshake response %q: %d sessions panicked", resp, n)
		}
		probe, err := client.Connect(e.addr, "app", "app", "app")
		if err != nil {
			t.Fatalf("proxy stopped accepting after handshake response %q: %v", resp, err)
		}
		probe.Close()
	})
}

func readFull(c net.Conn, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := c.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
