package merge

import (
	"bytes"
	"sort"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// collKind says how a collation orders strings.
type collKind uint8

const (
	// collBytes orders by bytes: binary, *_bin (for UTF-8, byte order is
	// code point order, which is what MySQL's utf8mb4_bin does).
	collBytes collKind = iota
	// collGeneral is MySQL's general_ci: one 16-bit weight per character from
	// MariaDB's own table (weights_table.go); characters beyond the BMP all
	// weigh 0xFFFD, as in utf8mb4_general_ci.
	collGeneral
	// collLatin1Swedish is latin1_swedish_ci: one byte weight per latin1 byte.
	collLatin1Swedish
	// collLatin1SwedishUTF8 is latin1_swedish_ci over values the server sent
	// in a UTF-8 connection charset (a latin1 column read by a utf8mb4
	// client): each decoded character weighs as its latin1 byte would.
	collLatin1SwedishUTF8
	// collUCA400 is unicode_ci (UCA 4.0.0) from MariaDB's own weights
	// (uca.go): exact for the BMP.
	collUCA400
	// collUCA approximates unicode_520_ci and utf8mb4_0900_ai_ci with
	// golang.org/x/text/collate at primary strength over the CLDR root
	// order: case- and accent-insensitive, ß = ss, Æ = AE. On a random
	// sample of Latin, Greek, Cyrillic, CJK, symbol and emoji strings it
	// orders 3% of adjacent pairs unlike MariaDB's unicode_520_ci (symbols,
	// ignorables); 0900_ai_ci (MySQL 8, UCA 9.0.0) was not measured.
	collUCA
)

// collation is the comparison behaviour of one collation id.
type collation struct {
	name string
	kind collKind
	// pad reports PAD SPACE: trailing spaces do not count.
	pad bool
}

// collations maps the collation ids of MySQL 8 and MariaDB 10.11 that
// Shardline knows to their behaviour. Unknown ids fall back to
// unknownCollation.
var collations = map[uint16]collation{
	8:    {"latin1_swedish_ci", collLatin1Swedish, true},
	11:   {"ascii_general_ci", collGeneral, true},
	33:   {"utf8mb3_general_ci", collGeneral, true},
	45:   {"utf8mb4_general_ci", collGeneral, true},
	46:   {"utf8mb4_bin", collBytes, true},
	47:   {"latin1_bin", collBytes, true},
	63:   {"binary", collBytes, false},
	65:   {"ascii_bin", collBytes, true},
	83:   {"utf8mb3_bin", collBytes, true},
	192:  {"utf8mb3_unicode_ci", collUCA400, true},
	214:  {"utf8mb3_unicode_520_ci", collUCA, true},
	224:  {"utf8mb4_unicode_ci", collUCA400, true},
	246:  {"utf8mb4_unicode_520_ci", collUCA, true},
	255:  {"utf8mb4_0900_ai_ci", collUCA, false},
	309:  {"utf8mb4_0900_bin", collBytes, false},
	1032: {"latin1_swedish_nopad_ci", collLatin1Swedish, false},
	1035: {"ascii_general_nopad_ci", collGeneral, false},
	1057: {"utf8mb3_general_nopad_ci", collGeneral, false},
	1069: {"utf8mb4_general_nopad_ci", collGeneral, false},
	1070: {"utf8mb4_nopad_bin", collBytes, false},
	1071: {"latin1_nopad_bin", collBytes, false},
	1089: {"ascii_nopad_bin", collBytes, false},
	1107: {"utf8mb3_nopad_bin", collBytes, false},
	1216: {"utf8mb3_unicode_nopad_ci", collUCA400, false},
	1248: {"utf8mb4_unicode_nopad_ci", collUCA400, false},
}

// unknownCollation is used for ids missing from the table: general_ci, the
// MariaDB default, is the closest guess for a case-insensitive collation.
var unknownCollation = collation{"unknown (as utf8mb4_general_ci)", collGeneral, true}

// lookupCollation returns the behaviour of collation id. binaryFlag is the
// column's BINARY_FLAG, which MySQL and MariaDB set on columns with a _bin
// or binary collation: it forces byte order (with PAD SPACE, as the _bin
// collations of MariaDB have, unless the id says otherwise).
func lookupCollation(id uint16, binaryFlag bool) collation {
	c, ok := collations[id]
	if !ok {
		c = unknownCollation
	}
	if binaryFlag && c.kind != collBytes {
		c = collation{c.name + " with BINARY_FLAG (as _bin)", collBytes, true}
	}
	return c
}

// cpWeight is one entry of generalCIExceptions.
type cpWeight struct{ cp, w uint16 }

// generalWeight is the utf8mb4_general_ci weight of r.
func generalWeight(r rune) uint16 {
	if r < 0x250 {
		if r < 0 {
			return 0xFFFD
		}
		return generalCILow[r]
	}
	if r > 0xFFFF {
		return 0xFFFD
	}
	i := sort.Search(len(generalCIExceptions), func(i int) bool {
		return generalCIExceptions[i].cp >= uint16(r)
	})
	if i < len(generalCIExceptions) && generalCIExceptions[i].cp == uint16(r) {
		return generalCIExceptions[i].w
	}
	if u := unicode.ToUpper(r); u <= 0xFFFF {
		return uint16(u)
	}
	return uint16(r)
}

// weighter yields the weights of a string in order.
type weighter struct {
	s    []byte
	kind collKind
	pend []uint16  // UCA: table weights of the current character not yet returned
	impl [2]uint16 // UCA: implicit weights of the current character ...
	nImp int       // ... of which impl[2-nImp:] are not yet returned
}

// next returns the next weight and false at the end of the string.
func (w *weighter) next() (uint16, bool) {
	if w.kind == collUCA400 {
		return w.nextUCA()
	}
	if len(w.s) == 0 {
		return 0, false
	}
	if w.kind == collLatin1Swedish {
		b := w.s[0]
		w.s = w.s[1:]
		return uint16(latin1SwedishCI[b]), true
	}
	c := w.s[0]
	if w.kind == collLatin1SwedishUTF8 {
		r, n := rune(c), 1
		if c >= utf8.RuneSelf {
			r, n = utf8.DecodeRune(w.s)
		}
		w.s = w.s[n:]
		if r > 0xFF {
			r = '?' // what the server stores for a character latin1 lacks
		}
		return uint16(latin1SwedishCI[r]), true
	}
	if c < utf8.RuneSelf {
		w.s = w.s[1:]
		return generalCILow[c], true
	}
	r, n := utf8.DecodeRune(w.s)
	w.s = w.s[n:]
	return generalWeight(r), true
}

// nextUCA returns the next UCA weight, skipping ignorable characters.
func (w *weighter) nextUCA() (uint16, bool) {
	for len(w.pend) == 0 && w.nImp == 0 {
		if len(w.s) == 0 {
			return 0, false
		}
		r, n := rune(w.s[0]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRune(w.s)
		}
		w.s = w.s[n:]
		w.pend, w.impl, w.nImp = ucaWeights(r)
		if w.nImp == 1 {
			w.impl[1] = w.impl[0]
		}
	}
	if w.nImp > 0 {
		x := w.impl[2-w.nImp]
		w.nImp--
		return x, true
	}
	x := w.pend[0]
	w.pend = w.pend[1:]
	return x, true
}

// spaceWeight is the weight of ' ' in general_ci and latin1_swedish_ci.
const spaceWeight = 0x20

// padWeight is the weight PAD SPACE compares the rest of a longer string with.
func padWeight(kind collKind) uint16 {
	if kind == collUCA400 {
		return ucaSpaceWeight
	}
	return spaceWeight
}

// compareWeighted compares a and b by per-character weights.
func compareWeighted(a, b []byte, kind collKind, pad bool) int {
	p := commonPrefix(a, b, kind)
	wa, wb := weighter{s: a[p:], kind: kind}, weighter{s: b[p:], kind: kind}
	for {
		x, okA := wa.next()
		y, okB := wb.next()
		switch {
		case okA && okB:
			if x != y {
				return cmpOrder(x, y)
			}
		case !okA && !okB:
			return 0
		case !pad:
			if okA {
				return 1
			}
			return -1
		case okA:
			return padRest(x, &wa, padWeight(kind))
		default:
			return -padRest(y, &wb, padWeight(kind))
		}
	}
}

// commonPrefix returns the length of the longest common byte prefix of a
// and b that ends on a character boundary: equal bytes weigh the same, so
// weighing can start there.
func commonPrefix(a, b []byte, kind collKind) int {
	n := min(len(a), len(b))
	p := 0
	for p < n && a[p] == b[p] {
		p++
	}
	if kind == collLatin1Swedish {
		return p
	}
	for p > 0 && (p < len(a) && !utf8.RuneStart(a[p]) || p < len(b) && !utf8.RuneStart(b[p])) {
		p--
	}
	return p
}

// padRest compares the rest of the longer string (first weight x, then w)
// with the spaces that PAD SPACE appends to the shorter one.
func padRest(x uint16, w *weighter, space uint16) int {
	for ok := true; ok; x, ok = w.next() {
		if x != space {
			return cmpOrder(x, space)
		}
	}
	return 0
}

// comparePadBytes compares bytes, padding the shorter side with spaces when
// pad is set.
func comparePadBytes(a, b []byte, pad bool) int {
	if !pad {
		return bytes.Compare(a, b)
	}
	n := min(len(a), len(b))
	if c := bytes.Compare(a[:n], b[:n]); c != 0 {
		return c
	}
	for _, c := range a[n:] {
		if c != ' ' {
			return cmpOrder(c, ' ')
		}
	}
	for _, c := range b[n:] {
		if c != ' ' {
			return cmpOrder(' ', c)
		}
	}
	return 0
}

// strCmp compares strings of one column. It owns a UCA collator when the
// collation needs one (collators are not safe for concurrent use, and a
// stream is used by one goroutine).
type strCmp struct {
	coll collation
	uca  *collate.Collator
	buf  collate.Buffer
}

func newStrCmp(c collation) *strCmp {
	s := &strCmp{coll: c}
	switch c.kind {
	case collUCA:
		s.uca = collate.New(language.Und, collate.Loose)
	case collUCA400:
		loadUCA400()
	}
	return s
}

// compare orders a and b by the collation.
func (s *strCmp) compare(a, b []byte) int {
	switch s.coll.kind {
	case collBytes:
		return comparePadBytes(a, b, s.coll.pad)
	case collUCA:
		if s.coll.pad {
			a, b = bytes.TrimRight(a, " "), bytes.TrimRight(b, " ")
		}
		return s.uca.Compare(a, b)
	default:
		return compareWeighted(a, b, s.coll.kind, s.coll.pad)
	}
}

// appendKey appends to dst a key of a that is equal for strings the
// collation calls equal and different otherwise (for hashing groups).
func (s *strCmp) appendKey(dst, a []byte) []byte {
	if s.coll.pad {
		a = bytes.TrimRight(a, " ")
	}
	switch s.coll.kind {
	case collBytes:
		return append(dst, a...)
	case collUCA:
		k := s.uca.Key(&s.buf, a)
		dst = append(dst, k...)
		s.buf.Reset()
		return dst
	default:
		w := weighter{s: a, kind: s.coll.kind}
		for x, ok := w.next(); ok; x, ok = w.next() {
			dst = append(dst, byte(x>>8), byte(x))
		}
		return dst
	}
}

// cmpOrder returns -1, 0 or 1 as a is less than, equal to or greater than b.
func cmpOrder[T ~uint8 | ~uint16 | ~int | ~int64 | ~uint64 | ~float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
