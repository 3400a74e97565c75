package sqlparse

import (
	"strconv"
	"strings"

	"github.com/shardline/shardline/sqllex"
)

// LitKind is the kind of a literal's value.
type LitKind uint8

const (
	LitNone    LitKind = iota // not a literal (a Value of another kind)
	LitNull                   // NULL
	LitInt                    // an integer: I, or U when Unsigned (above MaxInt64)
	LitDecimal                // an exact number beyond the integers or with a fraction: Text
	LitFloat                  // an approximate number (1e3): F, Text
	LitString                 // a character string: Bytes in Charset
	LitHex                    // a hex literal (0x.., X'..'): Bytes
	LitBit                    // a bit literal (0b.., B'..'): Bytes
)

// Literal is the value of a literal as the server reads it from the text.
type Literal struct {
	Kind     LitKind
	I        int64
	U        uint64
	Unsigned bool
	F        float64
	// Text is the number as written, with its sign (LitDecimal, LitFloat).
	Text string
	// Bytes is the value of a string, hex or bit literal (escapes undone).
	Bytes []byte
	// Charset is the character set of a string's Bytes: its introducer's,
	// utf8mb3 for N'...', else the text's.
	Charset string
}

// Literal reads the value of v (a ValLiteral, ValConst or ValNull) from the
// text; other kinds give LitNone.
func (t *Text) Literal(v Value) Literal {
	switch v.Kind {
	case ValNull:
		return Literal{Kind: LitNull}
	case ValConst:
		return Literal{Kind: LitInt, I: v.I}
	case ValLiteral:
	default:
		return Literal{}
	}
	i := v.Tok
	if i < 0 || i >= len(t.Toks) {
		return Literal{}
	}
	switch t.Toks[i].Kind {
	case sqllex.Int:
		return intLiteral(t.tok(i), v.Neg)
	case sqllex.Decimal:
		return Literal{Kind: LitDecimal, Text: signed(t.tok(i), v.Neg)}
	case sqllex.Float:
		s := signed(t.tok(i), v.Neg)
		f, _ := strconv.ParseFloat(s, 64)
		return Literal{Kind: LitFloat, F: f, Text: s}
	case sqllex.Hex:
		return Literal{Kind: LitHex, Bytes: sqllex.HexValue(t.SQL, t.Toks[i])}
	case sqllex.Bit:
		return Literal{Kind: LitBit, Bytes: sqllex.BitValue(t.SQL, t.Toks[i])}
	case sqllex.Introducer:
		cs := strings.ToLower(strings.TrimPrefix(t.tok(i), "_"))
		if i+1 < len(t.Toks) {
			switch t.Toks[i+1].Kind {
			case sqllex.Hex:
				return Literal{Kind: LitString, Bytes: sqllex.HexValue(t.SQL, t.Toks[i+1]), Charset: cs}
			case sqllex.Bit:
				return Literal{Kind: LitString, Bytes: sqllex.BitValue(t.SQL, t.Toks[i+1]), Charset: cs}
			}
		}
		return Literal{Kind: LitString, Bytes: t.stringRun(i + 1), Charset: cs}
	case sqllex.NationalString:
		return Literal{Kind: LitString, Bytes: t.stringRun(i), Charset: "utf8mb3"}
	case sqllex.String:
		cs := t.Charset
		if cs == "" {
			cs = "utf8mb4"
		}
		return Literal{Kind: LitString, Bytes: t.stringRun(i), Charset: cs}
	}
	return Literal{}
}

func signed(s string, neg bool) string {
	if neg {
		return "-" + s
	}
	return s
}

// intLiteral reads an integer literal: int64, else uint64, else (beyond
// 64 bits, as the server does) an exact decimal.
func intLiteral(s string, neg bool) Literal {
	if u, err := strconv.ParseUint(s, 10, 64); err == nil {
		switch {
		case !neg && u <= 1<<63-1:
			return Literal{Kind: LitInt, I: int64(u)}
		case !neg:
			return Literal{Kind: LitInt, U: u, Unsigned: true}
		case u <= 1<<63:
			return Literal{Kind: LitInt, I: int64(-u)}
		}
	}
	return Literal{Kind: LitDecimal, Text: signed(s, neg)}
}

// stringRun reads the string literal at token i and the ones right after
// it (the server concatenates adjacent strings).
func (t *Text) stringRun(i int) []byte {
	var out []byte
	for ; i < len(t.Toks); i++ {
		k := t.Toks[i].Kind
		if k != sqllex.String && k != sqllex.NationalString {
			break
		}
		out = sqllex.AppendStringValue(out, t.SQL, t.Toks[i], t.mode)
	}
	if out == nil {
		out = []byte{}
	}
	return out
}

// LiteralSpan returns the tokens of a ValLiteral: its introducer or N
// prefix, and the adjacent strings the server concatenates.
func (t *Text) LiteralSpan(v Value) Span {
	if v.Kind != ValLiteral || v.Tok < 0 || v.Tok >= len(t.Toks) {
		return Span{}
	}
	i := v.Tok
	if t.Toks[i].Kind == sqllex.Introducer {
		i++
	}
	j := i + 1
	if i < len(t.Toks) && (t.Toks[i].Kind == sqllex.String || t.Toks[i].Kind == sqllex.NationalString) {
		for j < len(t.Toks) && t.Toks[j].Kind == sqllex.String {
			j++
		}
	}
	return Span{v.Tok, j}
}
