package sqlparse

import (
	"strings"

	tidbcharset "github.com/pingcap/tidb/pkg/parser/charset"

	"github.com/shardline/shardline/charsets"
	"github.com/shardline/shardline/sqllex"
)

// The TiDB parser reads UTF-8. A text in another client charset is decoded
// for it, token by token; nothing the parser sees of a literal is used
// (values come from the client's bytes), but identifiers must keep their
// characters, so that a table name resolves as the server resolves it.

// utf8Decoder returns a function that decodes text of charset to UTF-8,
// nil when the text needs no decoding (UTF-8, ASCII, binary).
func utf8Decoder(charset string) func(string) string {
	switch strings.ToLower(charset) {
	case "", "utf8", "utf8mb3", "utf8mb4", "ascii", "binary":
		return nil
	}
	return func(s string) string {
		if u, _, err := charsets.ToUTF8(s, charset); err == nil {
			return u
		}
		return s
	}
}

// The TiDB parser knows few character sets and collations and refuses the
// others (SET NAMES koi8r, COLLATE latin2_bin, _cp1251'...'), which MariaDB
// accepts. Where a name is a character set or collation, the parser reads
// one it knows instead (utf8mb4 / utf8mb4_bin): the name's meaning is the
// server's, and nothing the proxy uses comes from the parser's reading of it.

// charsetSubst returns what the parser reads in place of significant token
// i when it names a character set or collation the parser does not know.
func (t *Text) charsetSubst(i int) (string, bool) {
	k := t.Toks[i].Kind
	if k == sqllex.Introducer {
		if _, err := tidbcharset.GetCharsetInfo(strings.TrimPrefix(strings.ToLower(t.tok(i)), "_")); err != nil {
			return "_utf8mb4", true
		}
		return "", false
	}
	if k != sqllex.Ident && k != sqllex.QuotedIdent && k != sqllex.String {
		return "", false
	}
	p := i - 1
	if t.op(p, "=") {
		p--
	}
	name := strings.ToLower(t.identValue(i))
	if k == sqllex.String {
		name = strings.ToLower(string(sqllex.StringValue(t.SQL, t.Toks[i], t.mode)))
	}
	switch {
	case t.is(p, "collate"):
		if _, err := tidbcharset.GetCollationByName(name); err != nil {
			return quoteLike(k, "utf8mb4_bin"), true
		}
	case t.is(p, "charset") || t.is(p, "names") || t.is(p, "using") || (t.is(p, "set") && t.is(p-1, "character")):
		if name == "default" {
			return "", false
		}
		if _, err := tidbcharset.GetCharsetInfo(name); err != nil {
			return quoteLike(k, "utf8mb4"), true
		}
	}
	return "", false
}

// quoteLike writes name as a token of kind k.
func quoteLike(k sqllex.Kind, name string) string {
	if k == sqllex.String {
		return "'" + name + "'"
	}
	return name
}
