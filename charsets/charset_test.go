package charsets

import (
	"errors"
	"strings"
	"testing"

	"github.com/go-mysql-org/go-mysql/mysql"
)

func TestLookups(t *testing.T) {
	c, ok := CollationByID(8)
	if !ok || c.Name != "latin1_swedish_ci" || c.Charset != "latin1" || !c.Default || !c.PadSpace {
		t.Errorf("id 8: %+v", c)
	}
	c, ok = CollationByName("UTF8_GENERAL_CI")
	if !ok || c.Name != "utf8mb3_general_ci" || c.ID != 33 {
		t.Errorf("utf8_general_ci: %+v", c)
	}
	if c, ok := CollationByName("utf8mb4_nopad_bin"); !ok || c.PadSpace {
		t.Errorf("utf8mb4_nopad_bin: %+v", c)
	}
	if c, ok := CollationByName("binary"); !ok || c.ID != 63 || c.PadSpace {
		t.Errorf("binary: %+v", c)
	}
	if c, ok := DefaultCollation("utf8"); !ok || c.Name != "utf8mb3_general_ci" {
		t.Errorf("default of utf8: %+v", c)
	}
	if cs, ok := CharsetByName("UTF8MB4"); !ok || cs.MaxLen != 4 || !cs.ASCIITransparent() {
		t.Errorf("utf8mb4: %+v", cs)
	}
	if cs, _ := CharsetByName("gbk"); cs.ASCIITransparent() || !strings.Contains(cs.MultibyteASCII, `\`) {
		t.Errorf("gbk: %+v", cs)
	}
	if _, ok := CollationByName("nosuch"); ok {
		t.Error("nosuch found")
	}
	for _, c := range Collations() {
		if got, _ := CollationByID(c.ID); got.Name != c.Name {
			t.Errorf("id %d: %s, want %s", c.ID, got.Name, c.Name)
		}
	}
}

func TestClientCharsetError(t *testing.T) {
	for _, name := range []string{"utf8mb4", "utf8", "utf8mb3", "latin1", "ascii", "binary", "euckr", "gb2312", "eucjpms", "cp1251", "koi8r", "tis620"} {
		if err := ClientCharsetError(name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	refused := map[string]string{
		"gbk": `'\\'`, "big5": `'\\'`, "sjis": `'\\'`, "cp932": `'\\'`, "swe7": "not ASCII", "keybcs2": "hex digits",
		"ucs2": "MariaDB does not accept", "utf16": "MariaDB", "utf16le": "MariaDB", "utf32": "MariaDB",
		"armscii8": "0xA4", "ujis": "0xA1C0",
	}
	for name, reason := range refused {
		err := ClientCharsetError(name)
		var me *mysql.MyError
		if !errors.As(err, &me) || me.Code != mysql.ER_WRONG_VALUE_FOR_VAR || me.State != "42000" || !strings.Contains(me.Message, reason) {
			t.Errorf("%s: %v, want 1231 mentioning %s", name, err, reason)
		}
	}
	var me *mysql.MyError
	if !errors.As(ClientCharsetError("nosuch"), &me) || me.Code != mysql.ER_UNKNOWN_CHARACTER_SET {
		t.Errorf("nosuch: %v", me)
	}
}

func TestToUTF8(t *testing.T) {
	s, offs, err := ToUTF8("SELECT 1", "latin1")
	if err != nil || s != "SELECT 1" || offs != nil {
		t.Errorf("ASCII: %q %v %v", s, offs, err)
	}
	in := "SELECT '\xe9\x80', `\xff` \x81"
	s, offs, err = ToUTF8(in, "latin1")
	if err != nil || s != "SELECT 'é€', `ÿ` \u0081" {
		t.Fatalf("latin1: %q %v", s, err)
	}
	for u, want := range map[int]int{0: 0, 8: 8, 9: 8, 10: 9, 11: 9, 12: 9, 13: 10, len(s): len(in)} {
		if got := offs.Orig(u); got != want {
			t.Errorf("Orig(%d) = %d, want %d", u, got, want)
		}
	}
	if _, _, err := ToUTF8("SELECT '\x81\\'", "gbk"); err == nil {
		t.Error("gbk accepted")
	}
	s, _, err = ToUTF8("'\xb0\xa1\xff'", "gb2312")
	if err != nil || s != "'啊\ufffd'" {
		t.Errorf("gb2312: %q %v", s, err)
	}
}

func TestToUTF8Allocs(t *testing.T) {
	sql := "SELECT c FROM sbtest1 WHERE id=4242"
	if n := testing.AllocsPerRun(100, func() { ToUTF8(sql, "latin1") }); n != 0 {
		t.Errorf("pure ASCII: %v allocations", n)
	}
	if n := testing.AllocsPerRun(100, func() { ToUTF8("SELECT 'é'", "utf8mb4") }); n != 0 {
		t.Errorf("utf8mb4: %v allocations", n)
	}
}
