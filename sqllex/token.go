package sqllex

import "strconv"

// Mode is what changes how the server reads SQL text.
type Mode struct {
	// ANSIQuotes is sql_mode ANSI_QUOTES: "..." is an identifier, not a string.
	ANSIQuotes bool
	// NoBackslashEscapes is sql_mode NO_BACKSLASH_ESCAPES: '\' is an ordinary
	// character in strings.
	NoBackslashEscapes bool
	// ServerVersion is the backend's version as the server numbers it for
	// executable comments, e.g. 101119 for 10.11.19.
	ServerVersion int
	// MariaDB says whether the backend is MariaDB (true) or MySQL.
	MariaDB bool
	// Charset is how character_set_client classifies bytes >= 0x80 outside
	// literals (see ClientCharset). nil means every such byte is an
	// identifier character, as in utf8mb4 and the other multibyte charsets.
	Charset *Charset
}

// Kind is the lexical class of a token.
type Kind uint8

// Token kinds. Space, Comment, ExecCommentOpen and ExecCommentClose are what
// the server skips; everything else is code.
const (
	Space            Kind = iota // whitespace as the client charset defines it
	Comment                      // # ..., -- ..., /* ... */, and executable comments the server skips
	ExecCommentOpen              // /*!, /*!NNNNN, /*M!NNNNNN ... of an executable comment the server runs
	ExecCommentClose             // */ closing an executed executable comment
	Ident                        // unquoted identifier or keyword, also 1abc, 0x, t.5's 5
	QuotedIdent                  // `x`, or "x" under ANSI_QUOTES
	String                       // 'x', or "x" without ANSI_QUOTES
	NationalString               // N'x'
	Introducer                   // _latin1, _binary ...: a charset name that introduces the next literal
	Int                          // 42
	Decimal                      // 1.5, .5, 1.
	Float                        // 1e5, 1.5E-3
	Hex                          // 0x0A, X'0A'
	Bit                          // 0b101, B'101'
	Param                        // ?
	UserVar                      // @x, @`x`, @'x', @"x" (also the host of user@host)
	SysVar                       // @@x, @@session.x, @@global.x
	Op                           // every operator and punctuation: <=>, :=, ||, &&, .., \N ...
)

var kindNames = [...]string{"Space", "Comment", "ExecCommentOpen", "ExecCommentClose", "Ident",
	"QuotedIdent", "String", "NationalString", "Introducer", "Int", "Decimal", "Float", "Hex", "Bit",
	"Param", "UserVar", "SysVar", "Op"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Skipped reports whether the server ignores tokens of this kind.
func (k Kind) Skipped() bool { return k <= ExecCommentClose }

// IsLiteral reports whether k is a literal value (a string, number, hex or bit value).
func (k Kind) IsLiteral() bool {
	switch k {
	case String, NationalString, Int, Decimal, Float, Hex, Bit:
		return true
	}
	return false
}

// Token is one token: its kind and its byte offsets [Start, End) in the
// original text.
type Token struct {
	Kind       Kind
	Start, End int
}

// Text returns the token's bytes in sql.
func (t Token) Text(sql string) string { return sql[t.Start:t.End] }

// Error is a lexical error: the server rejects the statement with a syntax
// error (1064) whatever the grammar would say.
type Error struct {
	Pos int    // byte offset where the offending token starts
	Msg string // what is wrong
}

func (e *Error) Error() string { return "sqllex: " + e.Msg + " at offset " + strconv.Itoa(e.Pos) }
