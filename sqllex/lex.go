package sqllex

// Lex splits sql into tokens exactly as MariaDB's lexer (sql_lex.cc,
// lex_one_token) reads it under m. The tokens cover sql contiguously, without
// gaps or overlap. It returns an *Error, with the tokens read so far, only for
// text the server always rejects with a syntax error whatever the grammar:
// an unterminated string, quoted identifier or comment (also an executable
// comment left open), a NUL byte in a quoted identifier, a malformed X'..' or
// B'..' literal, an exponent without digits (1.e, .5e+), and @@ without a
// name.
func Lex(sql string, m Mode) ([]Token, error) {
	return AppendTokens(make([]Token, 0, len(sql)/3+4), sql, m)
}

// AppendTokens is Lex appending to dst, so callers can reuse a token buffer.
func AppendTokens(dst []Token, sql string, m Mode) ([]Token, error) {
	lx := lexer{s: sql, m: m, tab: m.table(), toks: dst}
	_, err := lx.run(0)
	return lx.toks, err
}

type lexer struct {
	s          string
	m          Mode
	tab        *[256]uint8
	toks       []Token
	inExec     bool // inside an executed executable comment
	identNext  bool // the previous token was a '.' that makes the next one an identifier
	stopAtSemi bool // run stops after a ';' that is code (SplitStatements)
	semi       int  // where run stopped at a ';', or -1
}

func (lx *lexer) emit(k Kind, start, end int) int {
	lx.toks = append(lx.toks, Token{Kind: k, Start: start, End: end})
	return end
}

func (lx *lexer) fail(pos int, msg string) error { return &Error{Pos: pos, Msg: msg} }

// at returns the byte at i, or 0 past the end (the server's text is
// NUL-terminated and its lexer peeks at that NUL).
func (lx *lexer) at(i int) byte {
	if i < len(lx.s) {
		return lx.s[i]
	}
	return 0
}

func (lx *lexer) is(i int, flag uint8) bool { return i < len(lx.s) && lx.tab[lx.s[i]]&flag != 0 }

// run lexes from i to the end of the text, or, with stopAtSemi, up to and
// including the first ';' that is code; it returns where it stopped.
func (lx *lexer) run(i int) (int, error) {
	lx.semi = -1
	for i < len(lx.s) && lx.semi < 0 {
		var err error
		if lx.identNext {
			lx.identNext = false
			i = lx.identAfterDot(i, i)
			continue
		}
		c := lx.s[i]
		switch {
		case lx.tab[c]&fSpace != 0:
			j := i + 1
			for lx.is(j, fSpace) {
				j++
			}
			i = lx.emit(Space, i, j)
		case lx.tab[c]&fDigit != 0:
			i, err = lx.number(i)
		case lx.tab[c]&fIdent != 0:
			i, err = lx.word(i)
		default:
			i, err = lx.punct(i, c)
		}
		if err != nil {
			return i, err
		}
	}
	if lx.inExec && lx.semi < 0 {
		return i, lx.fail(len(lx.s), "unterminated executable comment")
	}
	return i, nil
}

// identRun returns the end of the run of identifier characters from i.
func (lx *lexer) identRun(i int) int {
	for lx.is(i, fIdent) {
		i++
	}
	return i
}

// identAfterDot emits the identifier [start, identRun(from)) and, when a '.'
// and an identifier character follow it directly, the '.' too: MariaDB then
// reads the next token as an identifier even if it is all digits (t.5, t.1e5).
func (lx *lexer) identAfterDot(start, from int) int {
	end := lx.identRun(from)
	lx.emit(Ident, start, end)
	return lx.dotSep(end)
}

// dotSep emits the '.' at i when an identifier character follows it, and
// makes the next token an identifier. Otherwise it emits nothing.
func (lx *lexer) dotSep(i int) int {
	if lx.at(i) == '.' && lx.is(i+1, fIdent) {
		lx.identNext = true
		return lx.emit(Op, i, i+1)
	}
	return i
}

// word reads what starts with a letter, '_', '$' or an identifier byte >= 0x80:
// N'..', X'..', B'..', an introducer, or an identifier/keyword.
func (lx *lexer) word(i int) (int, error) {
	c := lx.s[i]
	if lx.at(i+1) == '\'' {
		switch c {
		case 'N', 'n':
			end, err := lx.quoted(i+1, '\'', true)
			if err != nil {
				return i, err
			}
			return lx.emit(NationalString, i, end), nil
		case 'X', 'x':
			return lx.hexString(i)
		case 'B', 'b':
			return lx.bitString(i)
		}
	}
	end := lx.identRun(i + 1)
	k := Ident
	if c == '_' && isCharsetName(lx.s[i+1:end]) {
		k = Introducer
	}
	lx.emit(k, i, end)
	return lx.dotSep(end), nil
}

func (lx *lexer) hexString(i int) (int, error) {
	j := i + 2
	for lx.is(j, fXDigit) {
		j++
	}
	if lx.at(j) != '\'' || j >= len(lx.s) {
		return i, lx.fail(i, "malformed hex string literal")
	}
	if (j-i-2)%2 != 0 {
		return i, lx.fail(i, "hex string literal with an odd number of digits")
	}
	return lx.emit(Hex, i, j+1), nil
}

func (lx *lexer) bitString(i int) (int, error) {
	j := i + 2
	for c := lx.at(j); (c == '0' || c == '1') && j < len(lx.s); c = lx.at(j) {
		j++
	}
	if lx.at(j) != '\'' || j >= len(lx.s) {
		return i, lx.fail(i, "malformed bit string literal")
	}
	return lx.emit(Bit, i, j+1), nil
}

// number reads what starts with a digit: 0x.., 0b.., an integer, a decimal,
// a float, or an identifier that starts with digits (1abc, 123e, 0x, 0b102).
func (lx *lexer) number(i int) (int, error) {
	if lx.s[i] == '0' && (lx.at(i+1) == 'x' || lx.at(i+1) == 'b') {
		flag := uint8(fXDigit)
		j := i + 2
		if lx.s[i+1] == 'b' {
			for c := lx.at(j); (c == '0' || c == '1') && j < len(lx.s); c = lx.at(j) {
				j++
			}
		} else {
			for lx.is(j, flag) {
				j++
			}
		}
		if j-i >= 3 && !lx.is(j, fIdent) {
			k := Hex
			if lx.s[i+1] == 'b' {
				k = Bit
			}
			return lx.emit(k, i, j), nil
		}
		return lx.identAfterDot(i, i), nil
	}
	j := i + 1
	for lx.is(j, fDigit) {
		j++
	}
	if lx.is(j, fIdent) {
		if c := lx.s[j]; c == 'e' || c == 'E' {
			k := j + 1
			if c2 := lx.at(k); c2 == '+' || c2 == '-' {
				k++
			}
			if lx.is(k, fDigit) {
				for lx.is(k, fDigit) {
					k++
				}
				return lx.emit(Float, i, k), nil
			}
		}
		return lx.identAfterDot(i, j), nil
	}
	if lx.at(j) != '.' || j >= len(lx.s) || lx.at(j+1) == '.' {
		return lx.emit(Int, i, j), nil
	}
	return lx.fraction(i, j+1)
}

// fraction reads the rest of a decimal or float whose digits before the
// point (if any) and the point end at j.
func (lx *lexer) fraction(start, j int) (int, error) {
	for lx.is(j, fDigit) {
		j++
	}
	if c := lx.at(j); (c == 'e' || c == 'E') && j < len(lx.s) {
		j++
		if c := lx.at(j); c == '+' || c == '-' {
			j++
		}
		if !lx.is(j, fDigit) {
			return start, lx.fail(start, "number with an exponent without digits")
		}
		for lx.is(j, fDigit) {
			j++
		}
		return lx.emit(Float, start, j), nil
	}
	return lx.emit(Decimal, start, j), nil
}

// quoted returns the end of the string or quoted identifier whose opening
// quote q is at i. Strings (str) honour backslash escapes unless
// NO_BACKSLASH_ESCAPES; both read a doubled quote as one. A quoted
// identifier ends at a NUL byte, which the server rejects.
func (lx *lexer) quoted(i int, q byte, str bool) (int, error) {
	s := lx.s
	escapes := str && !lx.m.NoBackslashEscapes
	for j := i + 1; j < len(s); j++ {
		switch c := s[j]; {
		case c == q:
			if j+1 < len(s) && s[j+1] == q {
				j++
				continue
			}
			return j + 1, nil
		case c == '\\' && escapes:
			j++
		case c == 0 && !str:
			return i, lx.fail(i, "NUL byte in a quoted identifier")
		}
	}
	if str {
		return i, lx.fail(i, "unterminated string")
	}
	return i, lx.fail(i, "unterminated quoted identifier")
}
