// Package charsets is MariaDB 10.11's table of character sets and
// collations, the rule for which client character sets the proxy accepts,
// and the conversion of client text to UTF-8 for the proxy's parser.
//
//   - The tables (tables_gen.go) are generated from a live server's
//     information_schema.COLLATION_CHARACTER_SET_APPLICABILITY and
//     CHARACTER_SETS: every collation with its id, charset, default flag and
//     PAD SPACE (measured as 'a' = 'a ' under the collation), every charset
//     with its maximum length, whether its bytes < 0x80 are ASCII, and which
//     bytes < 0x80 can occur inside its multibyte characters.
//     TestMariaDB/Tables regenerates them and fails when the committed file
//     differs from the server.
//   - ClientCharsetError accepts the charsets in which the proxy reads '\',
//     quotes and comments where the server does, and refuses the others with
//     the error MariaDB gives for a refused character_set_client (1231) and
//     the reason. TestMariaDB/ClientCharsets checks the refusals MariaDB
//     makes itself and that the server accepts every other charset.
//   - Decoder converts as the server's CONVERT(... USING utf8mb4) does:
//     single-byte charsets by a table generated from the server (latin1 is
//     MariaDB's cp1252, 0x81 is U+0081), the EUC charsets by
//     golang.org/x/text corrected by generated exceptions. TestMariaDB/Decoders
//     compares every byte and every multibyte character with the server;
//     TestMariaDB/ToUTF8 compares random texts and checks the offset map.
//
// Lookups accept names case-insensitively, and utf8 (also in collation
// names) is utf8mb3, as MariaDB 10.11 reads it by default.
//
// Regenerate the tables against a test server with
//
//	go test -run TestMariaDB/Tables -update
package charsets

//go:generate go test -run TestMariaDB/Tables -update
