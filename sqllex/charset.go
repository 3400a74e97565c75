package sqllex

import "strings"

// Byte flags of a client charset's lexer classes (MariaDB's ctype tables as
// the lexer uses them: ident_map, my_isspace, my_iscntrl, my_isdigit).
const (
	fIdent  = 1 << iota // identifier character (letter, digit, '_', '$', or a high byte the charset calls alphabetic)
	fSpace              // whitespace: skipped between tokens, and ends "--"
	fCntrl              // control character: also makes "--" a comment
	fDigit              // 0-9
	fXDigit             // 0-9 a-f A-F
)

// Charset is the lexer's view of a client character set: how its ctype
// table classifies bytes outside literals. Obtain one with ClientCharset.
type Charset struct {
	name string
	tab  [256]uint8
}

// Name returns the character set's name as MariaDB spells it.
func (c *Charset) Name() string { return c.name }

var asciiTable = func() (t [256]uint8) {
	for b := 0; b < 256; b++ {
		c := byte(b)
		switch {
		case c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
			t[b] = fIdent | fXDigit
		case c >= 'g' && c <= 'z', c >= 'G' && c <= 'Z', c == '_', c == '$':
			t[b] = fIdent
		case c >= '0' && c <= '9':
			t[b] = fIdent | fDigit | fXDigit
		case c == ' ':
			t[b] = fSpace
		case c >= '\t' && c <= '\r':
			t[b] = fSpace | fCntrl
		case c < 0x20 || c == 0x7f:
			t[b] = fCntrl
		}
	}
	return t
}()

// multibyteTable is the table of utf8mb3/utf8mb4 and the other supported
// multibyte charsets: every byte >= 0x80 belongs to a multibyte character,
// which is an identifier character.
var multibyteTable = func() *[256]uint8 {
	t := asciiTable
	for b := 0x80; b < 256; b++ {
		t[b] = fIdent
	}
	return &t
}()

var clientCharsets = func() map[string]*Charset {
	m := make(map[string]*Charset, len(highByteClasses)+len(multibyteCharsets))
	for name, classes := range highByteClasses {
		c := &Charset{name: name, tab: asciiTable}
		for i := 0; i < 128; i++ {
			c.tab[0x80+i] = highClassFlags(classes[i])
		}
		m[name] = c
	}
	for _, name := range multibyteCharsets {
		m[name] = &Charset{name: name, tab: *multibyteTable}
	}
	m["utf8"] = m["utf8mb3"]
	return m
}()

// highClassFlags decodes the generated one-letter classes.
func highClassFlags(c byte) uint8 {
	switch c {
	case 'i':
		return fIdent
	case 's':
		return fSpace
	case 'c':
		return fCntrl
	}
	return 0
}

// multibyteCharsets are the supported multibyte client charsets: in each,
// bytes < 0x80 are ASCII and never part of a multibyte character that could
// end in '\' or a quote, and every multibyte character is an identifier
// character outside literals.
var multibyteCharsets = []string{"utf8mb3", "utf8mb4", "ujis", "eucjpms", "euckr", "gb2312"}

// ClientCharset returns the lexer's view of a client character set
// (case-insensitive name, "utf8" is utf8mb3), or nil when sqllex does not
// model it. Whether a client may use a charset is package charsets'
// decision: it also refuses armscii8 and ujis, which sqllex lexes but whose
// conversion to UTF-8 yields ASCII punctuation. Not modelled are the
// charsets whose multibyte characters can contain bytes < 0x80 (big5,
// cp932, gbk, sjis), those whose bytes < 0x80 are not ASCII (swe7), keybcs2
// (its ctype table calls some bytes >= 0x80 hex digits), and the charsets
// MariaDB refuses as a client charset (ucs2, utf16, utf16le, utf32).
func ClientCharset(name string) *Charset {
	return clientCharsets[strings.ToLower(name)]
}

func (m *Mode) table() *[256]uint8 {
	if m.Charset == nil {
		return multibyteTable
	}
	return &m.Charset.tab
}

// isCharsetName reports whether name (without the leading '_') is a
// character set the server accepts as an introducer.
func isCharsetName(name string) bool {
	if len(name) > 16 {
		return false
	}
	var buf [16]byte
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	_, ok := introducerNames[string(buf[:len(name)])]
	return ok
}
