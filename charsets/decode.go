package charsets

import (
	"errors"
	"sort"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// identity are the charsets whose text the proxy's parser reads as it is:
// UTF-8, and ascii and binary (whose bytes >= 0x80 can only be in string
// literals the parser does not decode).
var identity = map[string]bool{"utf8mb3": true, "utf8mb4": true, "ascii": true, "binary": true}

// multibyte are the allowed multibyte charsets other than UTF-8: golang.org/x/text
// decodes them, corrected by the exceptions generated from the server.
var multibyte = map[string]encoding.Encoding{
	"ujis":    japanese.EUCJP,
	"eucjpms": japanese.EUCJP,
	"euckr":   korean.EUCKR,
	"gb2312":  simplifiedchinese.GBK,
}

// Decoder returns a decoder from charset to UTF-8 that maps every character
// as MariaDB's CONVERT(... USING utf8mb4) does, for every charset a client
// may use (see ClientCharsetError). A byte sequence the server cannot
// convert (it answers '?') decodes to U+FFFD, so that it never becomes SQL
// punctuation. latin1 is MariaDB's: cp1252 with its five undefined bytes
// mapped to U+0081, U+008D, U+008F, U+0090, U+009D.
func Decoder(charset string) (*encoding.Decoder, error) {
	if err := ClientCharsetError(charset); err != nil {
		return nil, err
	}
	name := canonical(charset)
	switch {
	case name == "utf8mb3" || name == "utf8mb4" || name == "binary":
		return encoding.Nop.NewDecoder(), nil
	case singleByte[name] != nil:
		return &encoding.Decoder{Transformer: &singleByteDecoder{table: singleByte[name]}}, nil
	case multibyte[name] != nil:
		return &encoding.Decoder{Transformer: &multibyteDecoder{
			inner: multibyte[name].NewDecoder(), seqLen: seqLen[name], exceptions: exceptions[name]}}, nil
	}
	return nil, errors.New("charsets: no decoder for " + charset)
}

// singleByteDecoder maps each byte through a table generated from the server.
type singleByteDecoder struct {
	transform.NopResetter
	table *[256]rune
}

func (d *singleByteDecoder) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	for nSrc < len(src) {
		r := d.table[src[nSrc]]
		if nDst+utf8.RuneLen(r) > len(dst) {
			return nDst, nSrc, transform.ErrShortDst
		}
		nDst += utf8.EncodeRune(dst[nDst:], r)
		nSrc++
	}
	return nDst, nSrc, nil
}

// multibyteDecoder decodes one character at a time: a generated exception
// where MariaDB's table differs from golang.org/x/text's, else x/text.
type multibyteDecoder struct {
	transform.NopResetter
	inner      *encoding.Decoder
	seqLen     func(lead byte) int
	exceptions map[uint32]rune
}

func (d *multibyteDecoder) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	for nSrc < len(src) {
		c := src[nSrc]
		if c < 0x80 {
			if nDst >= len(dst) {
				return nDst, nSrc, transform.ErrShortDst
			}
			dst[nDst] = c
			nDst, nSrc = nDst+1, nSrc+1
			continue
		}
		n := d.seqLen(c)
		if nSrc+n > len(src) {
			if !atEOF {
				return nDst, nSrc, transform.ErrShortSrc
			}
			n = len(src) - nSrc
		}
		r, ok := d.decodeOne(src[nSrc : nSrc+n])
		if !ok {
			n = 1 // not a character: U+FFFD for its first byte, go on with the next
		}
		if nDst+utf8.RuneLen(r) > len(dst) {
			return nDst, nSrc, transform.ErrShortDst
		}
		nDst += utf8.EncodeRune(dst[nDst:], r)
		nSrc += n
	}
	return nDst, nSrc, nil
}

// decodeOne returns the character of one multibyte sequence and whether
// the server reads the sequence as one character (U+FFFD when it cannot
// convert that character).
func (d *multibyteDecoder) decodeOne(seq []byte) (rune, bool) {
	var key uint32
	for _, b := range seq {
		key = key<<8 | uint32(b)
	}
	if r, ok := d.exceptions[key]; ok {
		if r == notAChar {
			return utf8.RuneError, false
		}
		return r, true
	}
	return xtextDecode(d.inner, seq)
}

// notAChar marks, in the exceptions, a sequence golang.org/x/text decodes
// but the server does not read as one character.
const notAChar = -1

// xtextDecode decodes seq with an x/text decoder and reports whether it is
// exactly one convertible character.
func xtextDecode(dec *encoding.Decoder, seq []byte) (rune, bool) {
	var buf [8]byte
	dec.Reset()
	n, _, err := dec.Transform(buf[:], seq, true)
	r, size := utf8.DecodeRune(buf[:n])
	if err != nil || size != n || n == 0 || r == utf8.RuneError {
		return utf8.RuneError, false
	}
	return r, true
}

// seqLen gives, per multibyte charset, the length of the character a lead
// byte >= 0x80 starts (EUC: 0x8F starts three bytes in the Japanese ones).
var seqLen = map[string]func(byte) int{
	"ujis":    eucJPLen,
	"eucjpms": eucJPLen,
	"euckr":   func(byte) int { return 2 },
	"gb2312":  func(byte) int { return 2 },
}

func eucJPLen(lead byte) int {
	if lead == 0x8f {
		return 3
	}
	return 2
}

// Offsets maps byte offsets in a text ToUTF8 returned back to the original
// text. A nil *Offsets is the identity.
type Offsets struct {
	marks []mark // one per non-ASCII character, in order
}

// mark is where a non-ASCII character is in both texts.
type mark struct{ utf8, orig, utf8Len, origLen int }

// Orig returns the offset in the original text of byte offset u of the
// UTF-8 text: inside a character, the offset of that character's first
// byte; len(text) maps to len(original).
func (o *Offsets) Orig(u int) int {
	if o == nil || len(o.marks) == 0 {
		return u
	}
	i := sort.Search(len(o.marks), func(i int) bool { return o.marks[i].utf8 > u }) - 1
	if i < 0 {
		return u
	}
	m := o.marks[i]
	if u < m.utf8+m.utf8Len {
		return m.orig
	}
	return m.orig + m.origLen + (u - m.utf8 - m.utf8Len)
}

// ToUTF8 decodes sql from charset to UTF-8 for the proxy's parser, as
// Decoder does, and returns how to map offsets back. When the text is pure
// ASCII or the charset is utf8mb3, utf8mb4, ascii or binary it returns sql
// itself and a nil *Offsets (the identity), without allocating.
func ToUTF8(sql, charset string) (string, *Offsets, error) {
	name := canonical(charset)
	if reason, ok := refusals[name]; !ok || reason != "" {
		return "", nil, ClientCharsetError(charset)
	}
	if identity[name] || isASCII(sql) {
		return sql, nil, nil
	}
	next := charDecoder(name)
	out := make([]byte, 0, len(sql)+len(sql)/2)
	offs := &Offsets{}
	for i := 0; i < len(sql); {
		if sql[i] < 0x80 {
			out = append(out, sql[i])
			i++
			continue
		}
		r, n := next(sql[i:])
		offs.marks = append(offs.marks, mark{utf8: len(out), orig: i, utf8Len: utf8.RuneLen(r), origLen: n})
		out = utf8.AppendRune(out, r)
		i += n
	}
	return string(out), offs, nil
}

// charDecoder returns a function that decodes the character s starts with
// (a byte >= 0x80) and its length.
func charDecoder(charset string) func(s string) (rune, int) {
	if tab := singleByte[charset]; tab != nil {
		return func(s string) (rune, int) { return tab[s[0]], 1 }
	}
	d := &multibyteDecoder{inner: multibyte[charset].NewDecoder(), seqLen: seqLen[charset], exceptions: exceptions[charset]}
	var buf [4]byte
	return func(s string) (rune, int) {
		n := copy(buf[:min(d.seqLen(s[0]), len(s))], s)
		if r, ok := d.decodeOne(buf[:n]); ok {
			return r, n
		}
		return utf8.RuneError, 1
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
