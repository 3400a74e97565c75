package sqllex

// StringValue returns the value of a String or NationalString token as the
// server computes it (sql_lex.cc, my_unescape): the text between the quotes
// with a doubled quote read as one, and, unless NO_BACKSLASH_ESCAPES,
// backslash escapes: \0 \b \n \r \t \Z are NUL, backspace, newline, carriage
// return, tab and 0x1A; \% and \_ keep their backslash (for LIKE); any other
// \x is x. For other tokens it returns nil.
func StringValue(sql string, t Token, m Mode) []byte {
	return AppendStringValue(nil, sql, t, m)
}

// AppendStringValue is StringValue appending to dst.
func AppendStringValue(dst []byte, sql string, t Token, m Mode) []byte {
	start := t.Start
	switch t.Kind {
	case NationalString:
		start++
	case String:
	default:
		return dst
	}
	q := sql[start]
	body := sql[start+1 : t.End-1]
	if dst == nil {
		dst = make([]byte, 0, len(body))
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case c == q: // the first of a doubled quote
			i++
		case c == '\\' && !m.NoBackslashEscapes && i+1 < len(body):
			i++
			c = body[i]
			switch c {
			case '0':
				c = 0
			case 'b':
				c = '\b'
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'Z':
				c = 0x1a
			case '%', '_':
				dst = append(dst, '\\')
			}
		}
		dst = append(dst, c)
	}
	return dst
}

// HexValue returns the bytes of a Hex token: 0x41 and X'41' are "A"; an odd
// number of digits after 0x gets a leading zero (0xabc is 0x0abc), as the
// server reads it. For other tokens it returns nil.
func HexValue(sql string, t Token) []byte {
	if t.Kind != Hex {
		return nil
	}
	digits := sql[t.Start+2 : t.End]
	if sql[t.Start] != '0' {
		digits = digits[:len(digits)-1] // X'..'
	}
	out := make([]byte, (len(digits)+1)/2)
	for i := len(digits) - 1; i >= 0; i-- {
		n := len(digits) - 1 - i // nibble position from the right
		out[len(out)-1-n/2] |= unhex(digits[i]) << (4 * (n % 2))
	}
	return out
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// BitValue returns the bytes of a Bit token, big-endian in the fewest whole
// bytes: 0b101 and B'101' are 0x05, b” is empty, 0b0000000001 is 0x0001.
// For other tokens it returns nil.
func BitValue(sql string, t Token) []byte {
	if t.Kind != Bit {
		return nil
	}
	digits := sql[t.Start+2 : t.End]
	if sql[t.Start] != '0' {
		digits = digits[:len(digits)-1] // B'..'
	}
	out := make([]byte, (len(digits)+7)/8)
	for i := len(digits) - 1; i >= 0; i-- {
		n := len(digits) - 1 - i
		if digits[i] == '1' {
			out[len(out)-1-n/8] |= 1 << (n % 8)
		}
	}
	return out
}

// AppendQuotedString appends value as a string literal that the server reads
// back as exactly value under m, in a connection whose charset is one
// ClientCharset models (bytes < 0x80 are always whole ASCII characters).
// In the default mode it escapes '\', ”', NUL, newline, carriage return and
// 0x1A with backslashes, as mysql_real_escape_string does; under
// NO_BACKSLASH_ESCAPES, where a backslash is an ordinary character, it only
// doubles quotes.
func AppendQuotedString(dst []byte, value []byte, m Mode) []byte {
	dst = append(dst, '\'')
	for _, c := range value {
		if m.NoBackslashEscapes {
			if c == '\'' {
				dst = append(dst, '\'')
			}
			dst = append(dst, c)
			continue
		}
		switch c {
		case '\\', '\'', '"':
		case 0:
			c = '0'
		case '\n':
			c = 'n'
		case '\r':
			c = 'r'
		case 0x1a:
			c = 'Z'
		default:
			dst = append(dst, c)
			continue
		}
		dst = append(dst, '\\', c)
	}
	return append(dst, '\'')
}

// AppendQuotedIdent appends name as a backquoted identifier (a backquote in
// it doubled), which the server reads as name in every sql_mode, ANSI_QUOTES
// included. MariaDB cannot express a name with a NUL byte: the server
// rejects the result.
func AppendQuotedIdent(dst []byte, name string) []byte {
	dst = append(dst, '`')
	for i := 0; i < len(name); i++ {
		if name[i] == '`' {
			dst = append(dst, '`')
		}
		dst = append(dst, name[i])
	}
	return append(dst, '`')
}
