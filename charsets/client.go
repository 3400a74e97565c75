package charsets

import (
	"fmt"
	"strings"

	"github.com/go-mysql-org/go-mysql/mysql"
)

// notClientCharsets are the charsets MariaDB refuses as character_set_client.
var notClientCharsets = map[string]bool{"ucs2": true, "utf16": true, "utf16le": true, "utf32": true}

// lexerRefused are charsets that are ASCII-compatible but that the proxy's
// lexer (package sqllex) does not model, and why.
var lexerRefused = map[string]string{
	"keybcs2": "its ctype table makes bytes >= 0x80 hex digits, so the server reads 0x1\\x82 as a number",
}

// ClientCharsetError returns nil when a client may use charset through the
// proxy, or else the error to send: 1231 ER_WRONG_VALUE_FOR_VAR (SQLSTATE
// 42000), as MariaDB answers a refused value of character_set_client, with
// the reason. Allowed are the charsets in which bytes < 0x80 are ASCII, a
// multibyte character never contains an ASCII byte other than a letter, and
// no character >= 0x80 converts to ASCII, so that the proxy (and its parser,
// which reads the text converted to UTF-8) sees '\', quotes and comments
// exactly where the server does: the ASCII-transparent charsets, and euckr
// (whose multibyte characters can end in a letter, never in '\' or a
// quote). Refused: big5, cp932, gbk and sjis (a multibyte character can end
// in '\' or a quote), swe7 (its bytes < 0x80 are not ASCII), armscii8 (0xFF
// converts to '), ujis (0xA1C0 converts to '\'), keybcs2, and ucs2, utf16,
// utf16le, utf32, which MariaDB refuses as client charsets itself.
//
// A name that is no MariaDB charset gets the server's own answer, 1115
// ER_UNKNOWN_CHARACTER_SET.
func ClientCharsetError(name string) error {
	reason, known := refusals[canonical(name)]
	if !known {
		return mysql.NewError(mysql.ER_UNKNOWN_CHARACTER_SET, fmt.Sprintf("Unknown character set: '%s'", name))
	}
	if reason == "" {
		return nil
	}
	return mysql.NewError(mysql.ER_WRONG_VALUE_FOR_VAR, fmt.Sprintf(
		"Variable 'character_set_client' can't be set to the value of '%s': Shardline refuses it because %s", name, reason))
}

// refusals holds, per charset, why a client may not use it ("" if it may).
var refusals = func() map[string]string {
	m := make(map[string]string, len(charsetList))
	for i := range charsetList {
		m[charsetList[i].Name] = clientRefusal(&charsetList[i])
	}
	return m
}()

func clientRefusal(cs *Charset) string {
	switch {
	case notClientCharsets[cs.Name]:
		return "MariaDB does not accept it as a client character set"
	case lexerRefused[cs.Name] != "":
		return lexerRefused[cs.Name]
	case !cs.LowerASCII:
		return "its bytes < 0x80 are not ASCII characters"
	}
	if bad := strings.TrimFunc(cs.MultibyteASCII, isLetter); bad != "" {
		c := bad[0]
		if strings.IndexByte(bad, '\\') >= 0 {
			c = '\\'
		}
		return fmt.Sprintf("a multibyte character can contain the byte %q, which the proxy would read as SQL", c)
	}
	if seq, r, ok := firstToASCII(cs.Name); ok {
		return fmt.Sprintf("its character 0x%X converts to %q, which the proxy's parser would read as SQL", seq, r)
	}
	return ""
}

// firstToASCII returns the first character >= 0x80 of charset that the
// server converts to an ASCII character.
func firstToASCII(charset string) (seq uint32, r rune, ok bool) {
	if tab := singleByte[charset]; tab != nil {
		for b := 0x80; b < 0x100; b++ {
			if tab[b] < 0x80 {
				return uint32(b), tab[b], true
			}
		}
	}
	for s, x := range exceptions[charset] {
		if x >= 0 && x < 0x80 && (!ok || s < seq) {
			seq, r, ok = s, x, true
		}
	}
	return seq, r, ok
}

func isLetter(r rune) bool { return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' }
