package sqllex

// comment reads what starts with "/*" at i: a plain comment, an executable
// comment the server skips (both Comment), or the opening marker of one it
// runs (ExecCommentOpen; its content is lexed as code).
//
// MariaDB 10.11 (sql_lex.cc, MY_LEX_LONG_COMMENT) runs "/*!" and "/*M!"
// comments without a version, and with a version of 5 or 6 digits V when
// V <= server version and (V < 50700 or V > 99999 or the marker is "/*M!"):
// "/*!50700 .. */" to "/*!99999 .. */" are MySQL 5.7+ syntax and skipped.
// MySQL runs "/*!" with 5 digits V <= its version and knows no "/*M!".
// A skipped versioned comment may contain one plain comment; a plain comment
// ends at the first "*/".
func (lx *lexer) comment(i int) (int, error) {
	s := lx.s
	marker := 0
	switch {
	case lx.at(i+2) == '!' && i+2 < len(s):
		marker = 3
	case lx.m.MariaDB && lx.at(i+2) == 'M' && lx.at(i+3) == '!' && i+3 < len(s):
		marker = 4
	}
	if marker == 0 {
		end, ok := lx.skipComment(i+2, 0)
		if !ok {
			return i, lx.fail(i, "unterminated comment")
		}
		return lx.emit(Comment, i, end), nil
	}
	v := i + marker
	digits := 0
	for digits < 6 && lx.is(v+digits, fDigit) {
		digits++
	}
	if digits < 5 {
		lx.inExec = true
		return lx.emit(ExecCommentOpen, i, v), nil
	}
	if digits == 6 && !lx.m.MariaDB {
		digits = 5
	}
	version := 0
	for _, d := range []byte(s[v : v+digits]) {
		version = version*10 + int(d-'0')
	}
	if lx.runsVersion(version, marker == 4) {
		lx.inExec = true
		return lx.emit(ExecCommentOpen, i, v+digits), nil
	}
	end, ok := lx.skipComment(v, 1)
	if !ok {
		return i, lx.fail(i, "unterminated comment")
	}
	return lx.emit(Comment, i, end), nil
}

// runsVersion reports whether the server runs an executable comment with
// this version number.
func (lx *lexer) runsVersion(version int, mariaMarker bool) bool {
	if version > lx.m.ServerVersion {
		return false
	}
	if !lx.m.MariaDB {
		return true
	}
	return version < 50700 || version > 99999 || mariaMarker
}

// skipComment returns the end of a comment whose body starts at i, after its
// closing "*/". nested is how many levels of "/* */" inside it the server
// accepts (consume_comment): 0 for a plain comment, 1 for a skipped
// versioned one.
func (lx *lexer) skipComment(i, nested int) (int, bool) {
	s := lx.s
	for i < len(s) {
		c := s[i]
		i++
		if nested > 0 && c == '/' && i < len(s) && s[i] == '*' {
			end, ok := lx.skipComment(i+1, nested-1)
			if !ok {
				return end, false
			}
			i = end
			continue
		}
		if c == '*' && i < len(s) && s[i] == '/' {
			return i + 1, true
		}
	}
	return i, false
}
