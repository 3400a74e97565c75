package proxy_test

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/go-mysql-org/go-mysql/mysql"
)

// TestSendLongData prepares a statement, sends a parameter in chunks with
// COM_STMT_SEND_LONG_DATA, executes it, then resets and executes again with
// an inline value. If it fails, drivers that stream large parameters (BLOBs)
// get wrong values through the proxy.
func TestSendLongData(t *testing.T) {
	e := startEnv(t, 1, passThroughMap, nil)
	c := rawConnect(t, e.addr)
	defer c.Close()
	resp := c.command(t, mysql.COM_STMT_PREPARE, []byte("SELECT LENGTH(?), LEFT(?, 3)"))
	if resp[0] != mysql.OK_HEADER {
		t.Fatalf("prepare: %q", resp)
	}
	id := binary.LittleEndian.Uint32(resp[1:])
	cols, params := int(binary.LittleEndian.Uint16(resp[5:])), int(binary.LittleEndian.Uint16(resp[7:]))
	for i := 0; i < params+1+cols+1; i++ { // definitions and EOFs
		if _, err := c.ReadPacket(); err != nil {
			t.Fatal(err)
		}
	}
	chunk := strings.Repeat("ab", 5000)
	for _, param := range []uint16{0, 0, 1} { // 20,000 bytes for ?1, 10,000 for ?2
		b := binary.LittleEndian.AppendUint32(nil, id)
		b = binary.LittleEndian.AppendUint16(b, param)
		c.ResetSequence()
		if err := c.WritePacket(append(append([]byte{0, 0, 0, 0, mysql.COM_STMT_SEND_LONG_DATA}, b...), chunk...)); err != nil {
			t.Fatal(err)
		}
	}
	exec := func(values []byte) []string {
		b := binary.LittleEndian.AppendUint32(nil, id)
		b = append(b, 0, 1, 0, 0, 0) // no cursor, one iteration
		b = append(b, 0)             // null bitmap
		b = append(b, 1, mysql.MYSQL_TYPE_BLOB, 0, mysql.MYSQL_TYPE_VAR_STRING, 0)
		b = append(b, values...)
		first := c.command(t, mysql.COM_STMT_EXECUTE, b)
		if first[0] == mysql.ERR_HEADER {
			t.Fatalf("execute: %q", first)
		}
		var row []string
		sawDefs := false
		for {
			p, err := c.ReadPacket()
			if err != nil {
				t.Fatal(err)
			}
			if p[0] == mysql.EOF_HEADER && len(p) < 9 {
				if row != nil {
					return row
				}
				sawDefs = true
				continue // EOF after the column definitions
			}
			if p[0] == 0x00 && len(p) > 2 && row == nil && sawDefs { // binary row: header, null bitmap, INT (LENGTH), lenenc string
				if p[1] != 0 || len(p) < 7 || len(p) < 7+int(p[6]) {
					t.Fatalf("unexpected row %q", p)
				}
				row = []string{uintString(uint64(binary.LittleEndian.Uint32(p[2:6]))), string(p[7 : 7+int(p[6])])}
			}
		}
	}
	if got := exec(nil); got[0] != "20000" || got[1] != "aba" {
		t.Fatalf("with long data: %v, want [20000 aba]", got)
	}
	// Long data is consumed by EXECUTE: the next one binds inline values.
	inline := append([]byte{5}, "hello"...)
	inline = append(inline, append([]byte{3}, "xyz"...)...)
	if got := exec(inline); got[0] != "5" || got[1] != "xyz" {
		t.Fatalf("inline after long data: %v, want [5 xyz]", got)
	}
}

func uintString(n uint64) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}
