package merge

import (
	"bytes"
	"math/big"
	"math/bits"
	"strconv"
)

// Decimal text is the form MySQL prints for DECIMAL: an optional '-', digits,
// and an optional '.' followed by digits. Values are compared and added
// exactly, never through float64.

// splitDecimal returns the sign, the integer digits without leading zeros and
// the fraction digits without trailing zeros of decimal text s, and whether s
// is well formed.
func splitDecimal(s []byte) (neg bool, intPart, frac []byte, ok bool) {
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	intPart = s
	if i := bytes.IndexByte(s, '.'); i >= 0 {
		intPart, frac = s[:i], s[i+1:]
	}
	if len(intPart) == 0 && len(frac) == 0 || !allDigits(intPart) || !allDigits(frac) {
		return false, nil, nil, false
	}
	intPart = bytes.TrimLeft(intPart, "0")
	frac = bytes.TrimRight(frac, "0")
	if len(intPart) == 0 && len(frac) == 0 {
		neg = false // -0.00 is 0
	}
	return neg, intPart, frac, true
}

func allDigits(s []byte) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// compareDecimalText orders two decimal texts exactly. ok is false when one
// of them is not decimal text.
func compareDecimalText(a, b []byte) (c int, ok bool) {
	na, ia, fa, okA := splitDecimal(a)
	nb, ib, fb, okB := splitDecimal(b)
	if !okA || !okB {
		return 0, false
	}
	if na != nb {
		if na {
			return -1, true
		}
		return 1, true
	}
	c = cmpOrder(len(ia), len(ib))
	if c == 0 {
		c = bytes.Compare(ia, ib)
	}
	if c == 0 {
		c = bytes.Compare(fa, fb) // no trailing zeros: plain byte order is right
	}
	if na {
		c = -c
	}
	return c, true
}

// appendDecimalKey appends the canonical text of decimal text s (equal
// values give equal keys), or s itself when it is not decimal text.
func appendDecimalKey(dst, s []byte) []byte {
	neg, i, f, ok := splitDecimal(s)
	if !ok {
		return append(dst, s...)
	}
	if neg {
		dst = append(dst, '-')
	}
	dst = append(dst, i...)
	dst = append(dst, '.')
	return append(dst, f...)
}

// decAcc is an exact decimal accumulator: unscaled value / 10^scale, kept in
// an int64 until it overflows, then in a big.Int.
type decAcc struct {
	small int64
	big   *big.Int
	scale int
}

// addText adds decimal text s.
func (d *decAcc) addText(s []byte) bool {
	neg, ip, fp, ok := splitDecimal(s)
	if !ok {
		return false
	}
	if len(ip)+len(fp) <= 18 {
		var u int64
		for _, c := range ip {
			u = u*10 + int64(c-'0')
		}
		for _, c := range fp {
			u = u*10 + int64(c-'0')
		}
		if neg {
			u = -u
		}
		d.add(u, len(fp))
		return true
	}
	digits := make([]byte, 0, len(ip)+len(fp)+1)
	if neg {
		digits = append(digits, '-')
	}
	digits = append(append(digits, ip...), fp...)
	v, _ := new(big.Int).SetString(string(digits), 10)
	d.addBig(v, len(fp))
	return true
}

// addUint adds an unsigned integer.
func (d *decAcc) addUint(u uint64) {
	if u <= 1<<63-1 {
		d.add(int64(u), 0)
		return
	}
	d.addBig(new(big.Int).SetUint64(u), 0)
}

// add adds u / 10^scale.
func (d *decAcc) add(u int64, scale int) {
	if d.big == nil {
		if scale > d.scale {
			if s, ok := mulPow10(d.small, scale-d.scale); ok {
				d.small, d.scale = s, scale
			} else {
				d.toBig()
			}
		}
		if d.big == nil {
			if v, ok := mulPow10(u, d.scale-scale); ok {
				if sum, ok := addInt64(d.small, v); ok {
					d.small = sum
					return
				}
			}
			d.toBig()
		}
	}
	d.addBig(big.NewInt(u), scale)
}

func (d *decAcc) toBig() {
	if d.big == nil {
		d.big = big.NewInt(d.small)
	}
}

// addBig adds v / 10^scale.
func (d *decAcc) addBig(v *big.Int, scale int) {
	d.toBig()
	if scale > d.scale {
		d.big.Mul(d.big, pow10(scale-d.scale))
		d.scale = scale
	} else if scale < d.scale {
		v = new(big.Int).Mul(v, pow10(d.scale-scale))
	}
	d.big.Add(d.big, v)
}

// unscaled returns the accumulated value as a big.Int (a copy).
func (d *decAcc) unscaled() *big.Int {
	if d.big != nil {
		return new(big.Int).Set(d.big)
	}
	return big.NewInt(d.small)
}

// appendText appends the value printed with exactly scale fraction digits,
// rounding half away from zero when scale is below the accumulated scale.
func (d *decAcc) appendText(dst []byte, scale int) []byte {
	return appendScaled(dst, d.unscaled(), d.scale, scale)
}

// appendScaled appends v / 10^from printed with exactly to fraction digits.
func appendScaled(dst []byte, v *big.Int, from, to int) []byte {
	if to > from {
		v.Mul(v, pow10(to-from))
	} else if to < from {
		v = quoRound(v, pow10(from-to))
	}
	neg := v.Sign() < 0
	digits := v.Abs(v).Append(nil, 10)
	for len(digits) <= to {
		digits = append([]byte{'0'}, digits...)
	}
	if neg {
		dst = append(dst, '-')
	}
	dst = append(dst, digits[:len(digits)-to]...)
	if to > 0 {
		dst = append(dst, '.')
		dst = append(dst, digits[len(digits)-to:]...)
	}
	return dst
}

// quoRound returns n / d rounded half away from zero (d > 0).
func quoRound(n, d *big.Int) *big.Int {
	q, r := new(big.Int).QuoRem(n, d, new(big.Int))
	r.Abs(r).Lsh(r, 1)
	if r.Cmp(d) >= 0 {
		if n.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q
}

// appendAvg appends sum/count (sum = d) with scale fraction digits, rounded
// half away from zero as MySQL prints AVG of integers and DECIMAL.
func (d *decAcc) appendAvg(dst []byte, count int64, scale int) []byte {
	n, den := d.unscaled(), big.NewInt(count)
	if k := scale - d.scale; k >= 0 {
		n.Mul(n, pow10(k))
	} else {
		den.Mul(den, pow10(-k))
	}
	return appendScaled(dst, quoRound(n, den), scale, scale)
}

func mulPow10(v int64, n int) (int64, bool) {
	for ; n > 0; n-- {
		hi, lo := bits.Mul64(uint64(absInt64(v)), 10)
		if hi != 0 || lo > 1<<63-1 {
			return 0, false
		}
		v *= 10
	}
	return v, true
}

func absInt64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

func addInt64(a, b int64) (int64, bool) {
	s := a + b
	if (a >= 0) == (b >= 0) && (s >= 0) != (a >= 0) {
		return 0, false
	}
	return s, true
}

var pow10Cache = func() []*big.Int {
	p := make([]*big.Int, 80)
	p[0] = big.NewInt(1)
	for i := 1; i < len(p); i++ {
		p[i] = new(big.Int).Mul(p[i-1], big.NewInt(10))
	}
	return p
}()

// pow10 returns 10^n; callers must not modify the result.
func pow10(n int) *big.Int {
	if n < len(pow10Cache) {
		return pow10Cache[n]
	}
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

// formatFloatText is how a float takes part in a decimal comparison.
func formatFloatText(dst []byte, f float64) []byte {
	return strconv.AppendFloat(dst, f, 'f', -1, 64)
}
