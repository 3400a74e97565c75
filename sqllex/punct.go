package sqllex

// punct reads a token that starts with a byte that is neither whitespace,
// a digit nor an identifier character.
func (lx *lexer) punct(i int, c byte) (int, error) {
	switch c {
	case '\'':
		return lx.stringToken(i, '\'')
	case '"':
		if lx.m.ANSIQuotes {
			return lx.quotedIdent(i, '"')
		}
		return lx.stringToken(i, '"')
	case '`':
		return lx.quotedIdent(i, '`')
	case '#':
		return lx.lineComment(i), nil
	case '-':
		if lx.at(i+1) == '-' && lx.tab[lx.at(i+2)]&(fSpace|fCntrl) != 0 {
			return lx.lineComment(i), nil
		}
	case '/':
		if lx.at(i+1) == '*' && i+1 < len(lx.s) {
			return lx.comment(i)
		}
	case '*':
		if lx.inExec && lx.at(i+1) == '/' && i+1 < len(lx.s) {
			lx.inExec = false
			return lx.emit(ExecCommentClose, i, i+2), nil
		}
	case '.':
		return lx.dot(i)
	case '@':
		return lx.variable(i)
	case '?':
		if !lx.is(i+1, fIdent) {
			return lx.emit(Param, i, i+1), nil
		}
	case '<', '>', '=', '!':
		return lx.emit(Op, i, i+lx.cmpOpLen(i)), nil
	case '&', '|':
		if lx.at(i+1) == c && i+1 < len(lx.s) {
			return lx.emit(Op, i, i+2), nil
		}
	case ':':
		if lx.at(i+1) == '=' {
			return lx.emit(Op, i, i+2), nil
		}
	case ';':
		if lx.stopAtSemi {
			lx.semi = i
		}
	case '\\':
		if lx.at(i+1) == 'N' {
			return lx.emit(Op, i, i+2), nil // \N is NULL
		}
	}
	return lx.emit(Op, i, i+1), nil
}

func (lx *lexer) stringToken(i int, q byte) (int, error) {
	end, err := lx.quoted(i, q, true)
	if err != nil {
		return i, err
	}
	return lx.emit(String, i, end), nil
}

func (lx *lexer) quotedIdent(i int, q byte) (int, error) {
	end, err := lx.quoted(i, q, false)
	if err != nil {
		return i, err
	}
	return lx.emit(QuotedIdent, i, end), nil
}

// lineComment reads a # or -- comment: up to the newline (excluded) or a NUL
// byte, where the server's comment scan stops too.
func (lx *lexer) lineComment(i int) int {
	j := i + 1
	for j < len(lx.s) && lx.s[j] != '\n' && lx.s[j] != 0 {
		j++
	}
	return lx.emit(Comment, i, j)
}

// dot reads a '.' that does not directly follow an identifier: the start of
// a decimal (.5), the operator "..", or '.' (after which an identifier
// character starts an identifier, as in "`t`.x").
func (lx *lexer) dot(i int) (int, error) {
	switch {
	case lx.is(i+1, fDigit):
		return lx.fraction(i, i+1)
	case lx.at(i+1) == '.' && i+1 < len(lx.s):
		return lx.emit(Op, i, i+2), nil
	}
	if end := lx.dotSep(i); end > i {
		return end, nil
	}
	return lx.emit(Op, i, i+1), nil
}

// cmpOpLen returns the length of the comparison operator at i: the server
// joins "<", ">", "=", "!" into "<=>", "<=", "<>", "<<", ">=", ">>", "!=".
func (lx *lexer) cmpOpLen(i int) int {
	a, b := lx.s[i], lx.at(i+1)
	if a == '<' && b == '=' && lx.at(i+2) == '>' {
		return 3
	}
	switch string([]byte{a, b}) {
	case "<=", "<>", "<<", ">=", ">>", "!=":
		return 2
	}
	return 1
}

// variable reads @name, @'name', @"name", @`name` (a user variable, or the
// host of user@host) and @@name, @@session.name (a system variable).
func (lx *lexer) variable(i int) (int, error) {
	next := lx.at(i + 1)
	switch {
	case next == '@' && i+1 < len(lx.s):
		return lx.sysVar(i)
	case next == '\'' || next == '"':
		end, err := lx.quoted(i+1, next, next == '\'' || !lx.m.ANSIQuotes)
		if err != nil {
			return i, err
		}
		return lx.emit(UserVar, i, end), nil
	case next == '`':
		end, err := lx.quoted(i+1, next, false)
		if err != nil {
			return i, err
		}
		return lx.emit(UserVar, i, end), nil
	}
	// The server reads the name as a host name: letters, digits, '_', '$', '.'.
	j := i + 1
	for lx.is(j, fIdent) || lx.at(j) == '.' && j < len(lx.s) {
		j++
	}
	return lx.emit(UserVar, i, j), nil
}

// sysVar reads @@ followed by a name, a `quoted` name, and further
// .name parts as the server chains them.
func (lx *lexer) sysVar(i int) (int, error) {
	j := i + 2
	if lx.at(j) == '`' {
		end, err := lx.quoted(j, '`', false)
		if err != nil {
			return i, err
		}
		j = end
		// After a quoted name, ".5" is a decimal, ".x" an identifier part.
		if lx.at(j) != '.' || !lx.is(j+1, fIdent) || lx.is(j+1, fDigit) {
			return lx.emit(SysVar, i, j), nil
		}
		j = lx.identRun(j + 1)
	} else {
		end := lx.identRun(j)
		if end == j {
			return i, lx.fail(i, "@@ without a variable name")
		}
		j = end
	}
	for lx.at(j) == '.' && j < len(lx.s) {
		switch {
		case lx.is(j+1, fIdent):
			j = lx.identRun(j + 1)
		case lx.at(j+1) == '`':
			end, err := lx.quoted(j+1, '`', false)
			if err != nil {
				return i, err
			}
			return lx.emit(SysVar, i, end), nil
		default:
			// The server returns this '.' alone, even before another '.'.
			lx.emit(SysVar, i, j)
			return lx.emit(Op, j, j+1), nil
		}
	}
	return lx.emit(SysVar, i, j), nil
}
