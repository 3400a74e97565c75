package merge

import "bytes"

// DATE, DATETIME and TIMESTAMP arrive as text in both protocols
// ("2024-05-01", "2024-05-01 10:00:00", "2024-05-01 10:00:00.250"); the binary
// protocol omits a zero fraction or prints six digits. The part before '.' has
// a fixed layout, so it compares by bytes; the fraction compares digit by digit
// with missing digits taken as zeros.

// compareDateTime orders two DATE/DATETIME/TIMESTAMP texts.
func compareDateTime(a, b []byte) int {
	ha, fa := cutFraction(a)
	hb, fb := cutFraction(b)
	if c := bytes.Compare(ha, hb); c != 0 {
		return c
	}
	return bytes.Compare(bytes.TrimRight(fa, "0"), bytes.TrimRight(fb, "0"))
}

// appendDateTimeKey appends the text without a zero fraction.
func appendDateTimeKey(dst, s []byte) []byte {
	h, f := cutFraction(s)
	dst = append(dst, h...)
	if f = bytes.TrimRight(f, "0"); len(f) > 0 {
		dst = append(append(dst, '.'), f...)
	}
	return dst
}

func cutFraction(s []byte) (head, frac []byte) {
	if i := bytes.IndexByte(s, '.'); i >= 0 {
		return s[:i], s[i+1:]
	}
	return s, nil
}

// parseTime returns a TIME text ("-838:59:59.5", "12:00:00") in
// microseconds. Malformed parts count as zero.
func parseTime(s []byte) int64 {
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	head, frac := cutFraction(s)
	var total, part int64
	for _, c := range head {
		switch {
		case c == ':':
			total, part = (total+part)*60, 0
		case c >= '0' && c <= '9':
			part = part*10 + int64(c-'0')
		}
	}
	total = (total + part) * 1_000_000
	var micro int64
	for i := 0; i < 6; i++ {
		micro *= 10
		if i < len(frac) {
			micro += int64(frac[i] - '0')
		}
	}
	total += micro
	if neg {
		return -total
	}
	return total
}
