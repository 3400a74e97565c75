// Package sqllex reads SQL text exactly as MariaDB's lexer does, with byte
// offsets into the original text, so that the proxy can understand a
// statement the way the server will and splice the statements it sends to
// the shards from the client's own bytes.
//
// It follows MariaDB 10.11's sql_lex.cc under the session's sql_mode
// (ANSI_QUOTES, NO_BACKSLASH_ESCAPES) and client character set. Each rule is
// proved against a real mariadbd by TestMariaDB (mariadb_test.go), which
// runs every text as written, as ParseText and re-rendered from sqllex's
// tokens, and requires the same answer:
//
//   - Executable comments (TestMariaDB/ExecutableComments): "/*!" and "/*M!"
//     without a version run; with a version V of 5 or 6 digits they run when
//     V <= the server's version and (V < 50700 or V > 99999 or "/*M!"), so
//     MariaDB skips MySQL-only "/*!80000 ... */". A 7th digit is code. A
//     skipped one may hold one plain comment; a plain comment ends at the
//     first "*/"; "/*T!", "/*+" and "/*m!" are plain comments. Inside a run
//     comment, a second "/*!" opens another one and the first "*/" closes
//     both. MySQL (Mode.MariaDB false) runs "/*!" with 5 digits V <= its
//     version and knows no "/*M!" (from MySQL's lexer; not tested here).
//   - Tokens (TestMariaDB/Lexing): "--" starts a comment only before
//     whitespace, a control character or the end; "#" and "--" comments end
//     at a newline or a NUL byte; digits followed by identifier characters
//     are an identifier (1abc, 123e, 0x, 0x1g, 0b102) except 1e5 (a float:
//     "1e5x" is 1e5 AS x); after "ident." without spaces the next token is
//     an identifier whatever it looks like (t.5, t.1e5, t.select), and the
//     ident before it is never a keyword; "'a' 'b'" and "N'a' 'b'" are one
//     string (not "'a' N'b'"); _name is an introducer when name is a charset,
//     whatever follows; "\N" is NULL; "..", "<=>", ":=", "&&", "||" are
//     single tokens, "->" and "=>" are not; @name reads letters, digits,
//     '_', '$' and '.' (@a.b is one variable).
//   - Bytes >= 0x80 (TestMariaDB/CharsetTables): how the client charset's
//     ctype table classifies them is generated from the server into
//     tables_gen.go: latin1 0xA0 is whitespace ("--\xa0" is a comment),
//     cp1250 0x80 a control character, latin1 0xD7 a one-byte token. In
//     utf8mb4 and the other multibyte charsets every byte >= 0x80 belongs to
//     an identifier character. ClientCharset says which charsets are modelled.
//   - Lexical errors (TestMariaDB/LexErrors): what Lex rejects, the server
//     rejects with 1064.
//   - Literal values (TestMariaDB/StringValues): SELECT HEX(literal) on the
//     server equals the value sqllex computes, in both escape modes.
//   - Quoting (TestMariaDB/Quoting): random values quoted by
//     AppendQuotedString and names by AppendQuotedIdent read back exactly.
//   - Statements (TestMariaDB/SplitStatements): the server drops leading
//     whitespace and trailing ';' and whitespace from a COM_QUERY text
//     (TrimQuery); a ';' inside a run executable comment, and an empty or
//     comment-only statement before a ';', are errors.
//
// Shape gives a statement's literal-normalised key for caching analyses.
// FuzzLex checks the structural invariants; the benchmarks measure Lex and
// Shape on a sysbench point select and a 2 KB INSERT.
//
// Not modelled: sql_mode MSSQL ([name] identifiers) and ORACLE (another
// grammar, ':' and '%' tokens): the caller must refuse them.
//
// Regenerate the charset tables against a running test server with
//
//	go test -run TestMariaDB/CharsetTables -update
package sqllex

//go:generate go test -run TestMariaDB/CharsetTables -update
