package charsets

import "strings"

// Collation is one MariaDB collation.
type Collation struct {
	ID       uint16 // as in the handshake (ids < 256) and column definitions
	Name     string // e.g. utf8mb4_general_ci
	Charset  string // e.g. utf8mb4
	Default  bool   // the charset's default collation
	PadSpace bool   // PAD SPACE: trailing spaces do not count in comparisons; false is NO PAD
}

// Charset is one MariaDB character set.
type Charset struct {
	Name             string // e.g. latin1
	DefaultCollation string // e.g. latin1_swedish_ci
	Description      string // as information_schema.CHARACTER_SETS has it
	MaxLen           int    // bytes per character at most
	// LowerASCII says every byte < 0x80 on its own is the ASCII character
	// of that code (false for swe7, whose [\]{|} are Swedish letters).
	LowerASCII bool
	// MultibyteASCII lists the bytes < 0x80 that can occur inside a
	// multibyte character (euckr: the ASCII letters; gbk: 0x40..0x7E, '\'
	// among them), sorted.
	MultibyteASCII string
}

// ASCIITransparent reports whether every byte < 0x80 is always a whole
// ASCII character: then '\' and quotes can never be part of a multibyte
// character.
func (c *Charset) ASCIITransparent() bool { return c.LowerASCII && c.MultibyteASCII == "" }

var (
	byID      = map[uint16]*Collation{}
	byName    = map[string]*Collation{}
	byCharset = map[string]*Charset{}
)

func init() {
	for i := range collations {
		c := &collations[i]
		byID[c.ID] = c
		byName[c.Name] = c
	}
	for i := range charsetList {
		byCharset[charsetList[i].Name] = &charsetList[i]
	}
}

// canonical lowercases name and resolves MariaDB 10.11's alias utf8 =
// utf8mb3 (old_mode UTF8_IS_UTF8MB3, the default), also in collation names
// (utf8_general_ci is utf8mb3_general_ci).
func canonical(name string) string {
	name = strings.ToLower(name)
	if name == "utf8" || strings.HasPrefix(name, "utf8_") {
		return "utf8mb3" + name[len("utf8"):]
	}
	return name
}

// CollationByID returns the collation with this id.
func CollationByID(id uint16) (*Collation, bool) {
	c, ok := byID[id]
	return c, ok
}

// CollationByName returns the collation with this name, case-insensitive,
// utf8_* meaning utf8mb3_*.
func CollationByName(name string) (*Collation, bool) {
	c, ok := byName[canonical(name)]
	return c, ok
}

// CharsetByName returns the character set with this name, case-insensitive,
// utf8 meaning utf8mb3.
func CharsetByName(name string) (*Charset, bool) {
	c, ok := byCharset[canonical(name)]
	return c, ok
}

// DefaultCollation returns the default collation of a character set.
func DefaultCollation(charset string) (*Collation, bool) {
	cs, ok := CharsetByName(charset)
	if !ok {
		return nil, false
	}
	return CollationByName(cs.DefaultCollation)
}

// Collations returns every collation, ordered by id. The slice is shared:
// do not modify it.
func Collations() []Collation { return collations }

// Charsets returns every character set, ordered by name. The slice is
// shared: do not modify it.
func Charsets() []Charset { return charsetList }
