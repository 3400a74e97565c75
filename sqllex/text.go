package sqllex

// ParseText returns sql with every comment, every executable comment the
// server skips, and the markers of the executable comments it runs replaced
// by spaces, and every whitespace byte other than '\n' made a plain space.
// The result has the same length as sql, so byte offsets in it are byte
// offsets in sql, and keeps the newlines (line numbers in error messages).
// Another parser (TiDB's) reads it without seeing a comment it would
// interpret differently from the server (/*T! */, /*+ */, /*! */) or a
// charset-specific space (latin1 0xA0).
func ParseText(sql string, toks []Token) string {
	var buf []byte
	for _, t := range toks {
		if !t.Kind.Skipped() {
			continue
		}
		if t.Kind == Space && isPlainSpace(sql[t.Start:t.End]) {
			continue
		}
		if buf == nil {
			buf = []byte(sql)
		}
		for i := t.Start; i < t.End; i++ {
			if buf[i] != '\n' {
				buf[i] = ' '
			}
		}
	}
	if buf == nil {
		return sql
	}
	return string(buf)
}

func isPlainSpace(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' && s[i] != '\n' {
			return false
		}
	}
	return true
}

// TrimQuery returns the range [start, end) of a COM_QUERY text that the
// server parses: it drops leading whitespace and trailing ';' and whitespace
// before it lexes anything (sql_parse.cc, alloc_query). So "SELECT 1;" runs
// without CLIENT_MULTI_STATEMENTS, and "SELECT 1 --;" is "SELECT 1 --", a
// comment. Whitespace is the client charset's (latin1 0xA0 is one).
func TrimQuery(sql string, m Mode) (start, end int) {
	tab := m.table()
	end = len(sql)
	for start < end && tab[sql[start]]&fSpace != 0 {
		start++
	}
	for end > start && (sql[end-1] == ';' || tab[sql[end-1]]&fSpace != 0) {
		end--
	}
	return start, end
}

// SplitStatements returns the [start, end) byte ranges of the statements the
// server runs from a multi-statement COM_QUERY text (CLIENT_MULTI_STATEMENTS),
// after TrimQuery. It splits at every ';' that is code: outside strings,
// identifiers and comments. A range excludes the ';' and the whitespace
// around the statement. The server stops at the first statement it rejects;
// SplitStatements returns that statement running to the end of the text:
//   - a statement with a lexical error (see Lex);
//   - a ';' inside an executable comment the server runs (MariaDB rejects
//     "SELECT 1 /*! ; */");
//   - a statement that is empty or only comments, followed by ';' (the
//     server rejects ";SELECT 1" and "/**/;SELECT 1"; only the last
//     statement may be comments only: the server answers it with OK).
//
// A text that trims to nothing is one empty range: the server answers 1065
// (ER_EMPTY_QUERY).
func SplitStatements(sql string, m Mode) [][2]int {
	start, end := TrimQuery(sql, m)
	text := sql[:end]
	lx := lexer{s: text, m: m, tab: m.table(), stopAtSemi: true}
	var out [][2]int
	for pos := start; ; {
		lx.toks, lx.inExec, lx.identNext = lx.toks[:0], false, false
		next, err := lx.run(pos)
		toks := lx.toks
		if lx.semi >= 0 {
			toks = toks[:len(toks)-1] // the ';'
		}
		first, last, code := trimTokens(toks, pos)
		stop := err != nil || lx.semi < 0 || lx.inExec || !code
		if stop {
			if err != nil || lx.semi >= 0 {
				last = end
			}
			return append(out, [2]int{first, last})
		}
		out = append(out, [2]int{first, last})
		pos = next
	}
}

// trimTokens returns the extent of toks without leading and trailing
// whitespace (from, from when there is nothing else), and whether any token
// is code.
func trimTokens(toks []Token, from int) (first, last int, code bool) {
	first, last = -1, from
	for _, t := range toks {
		if t.Kind == Space {
			continue
		}
		if first < 0 {
			first = t.Start
		}
		last = t.End
		code = code || !t.Kind.Skipped()
	}
	if first < 0 {
		first = from
	}
	return first, last, code
}
