package sqllex

// Literal is one literal value of a statement, as Shape finds them.
type Literal struct {
	// Kind is String (also a run of adjacent strings, 'a' 'b', which the
	// server reads as one value 'ab'), NationalString (N'a', possibly
	// followed by adjacent strings), Int, Decimal, Float, Hex or Bit.
	Kind Kind
	// Start, End are the literal's bytes [Start, End): from its first token
	// to its last, with what lies between adjacent strings. An introducer
	// (_latin1) is not part of the literal: it stays in the key.
	Start, End int
	// First, Last are the indexes in the token slice of its first and last
	// token.
	First, Last int
}

// Value returns the literal's value as the server computes it: the
// concatenated string values of a string run, the bytes of a hex or bit
// value, and the text of a number.
func (l Literal) Value(sql string, toks []Token, m Mode) []byte {
	switch l.Kind {
	case String, NationalString:
		var v []byte
		for _, t := range toks[l.First : l.Last+1] {
			v = AppendStringValue(v, sql, t, m)
		}
		if v == nil {
			v = []byte{}
		}
		return v
	case Hex:
		return HexValue(sql, toks[l.First])
	case Bit:
		return BitValue(sql, toks[l.First])
	}
	return []byte(sql[l.Start:l.End])
}

// placeholder is what stands for a literal in a shape key: one per kind,
// and 0x.. apart from X'..', 0b.. apart from B'..' (the server reads them
// as different items). No token is spelled like one.
func placeholder(sql string, k Kind, start int) string {
	switch k {
	case Int:
		return "?i"
	case Decimal:
		return "?d"
	case Float:
		return "?f"
	case String:
		return "?s"
	case NationalString:
		return "?n"
	case Hex:
		if sql[start] == '0' {
			return "?x"
		}
		return "?X"
	}
	if sql[start] == '0' {
		return "?b"
	}
	return "?B"
}

// Shape returns the statement's shape key and its literals in order. The key
// is the code tokens as written (identifiers and keywords keep their case)
// joined by single spaces, without whitespace, comments and the markers of
// executed executable comments, each literal replaced by a placeholder that
// keeps its kind; an introducer or N prefix stays part of the key, and
// adjacent strings are one literal. Two texts with the same key differ only
// in the values of their literals (and in whitespace and comments).
//
// A literal's value can still matter beyond being a value: ORDER BY 1 names
// a column, and the server names a result column after the text of a
// literal (SELECT 'a'), so a cache keyed by shape must not cache those.
func Shape(sql string, toks []Token) (key string, literals []Literal) {
	b, literals := AppendShape(make([]byte, 0, len(sql)+8), make([]Literal, 0, 4), sql, toks)
	return string(b), literals
}

// AppendShape is Shape appending the key to dst and the literals to lits,
// for callers that reuse buffers: with enough capacity it does not
// allocate, and a map lookup m[string(key)] does not either.
func AppendShape(dst []byte, lits []Literal, sql string, toks []Token) ([]byte, []Literal) {
	first := true
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if t.Kind.Skipped() {
			continue
		}
		if !first {
			dst = append(dst, ' ')
		}
		first = false
		if !t.Kind.IsLiteral() {
			dst = append(dst, sql[t.Start:t.End]...)
			continue
		}
		lit := Literal{Kind: t.Kind, Start: t.Start, End: t.End, First: i, Last: i}
		if t.Kind == String || t.Kind == NationalString {
			lit.Last = lastAdjacentString(toks, i)
			lit.End = toks[lit.Last].End
			i = lit.Last
		}
		dst = append(dst, placeholder(sql, t.Kind, t.Start)...)
		lits = append(lits, lit)
	}
	return dst, lits
}

// lastAdjacentString returns the index of the last String token that
// follows the string at i with only skipped tokens between: the server
// concatenates them ('a' 'b', N'a' 'b'; not 'a' N'b').
func lastAdjacentString(toks []Token, i int) int {
	last := i
	for j := i + 1; j < len(toks); j++ {
		switch k := toks[j].Kind; {
		case k == String:
			last = j
		case k.Skipped():
		default:
			return last
		}
	}
	return last
}
