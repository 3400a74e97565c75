package router

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"strconv"
	"strings"
	"time"

	"github.com/cespare/xxhash/v2"
)

// Sharding algorithms, exactly (these functions decide where rows live: they
// must never change).
//
// A shard-key value is first normalised to one of four kinds:
//   - integers (int*, uint*, bool, integral float64/decimal values, and
//     strings that are a canonical decimal integer: an optional '-', then
//     "0" or digits without leading zeros, within int64/uint64) become an
//     integer. So '42' and 42 route alike, but '042' or ' 42' are strings;
//   - other strings and []byte keep their bytes. No collation is applied:
//     with a case-insensitive collation 'ABC' and 'abc' are equal in MySQL
//     but route differently, so applications must use one case (and no
//     trailing spaces) for string shard keys;
//   - time.Time becomes the string "2006-01-02 15:04:05" (with ".ffffff"
//     when it has a fraction), as MySQL prints DATETIME values;
//   - non-integral numbers stay floats: they route only under "range".
//
// hash: the keyspace id of a key is XXH64 (seed 0) of its bytes: an integer
// is hashed as the 8 bytes, big-endian, of its two's-complement int64 value
// (uint64 values above MaxInt64 as their own 8 bytes); a string as its
// bytes. Partition i of n owns the keyspace ids [start_i, end_i): by default
// start_i = floor(i * 2^64 / n); keyspace_start/keyspace_end (16 hex digits)
// may give them explicitly. See KeyspaceID.
//
// mod: the key must be an integer; partition = key mod n with the
// mathematical modulo (always >= 0: -1 mod 4 = 3).
//
// range: partition i holds the keys k with upper_{i-1} <= k < upper_i (the
// first has no lower bound, a last partition without "upper" has no upper
// bound). Bounds are all numbers or all strings; numbers compare
// numerically, strings byte by byte (a binary collation).

type keyKind uint8

const (
	kInt keyKind = iota + 1
	kUint
	kFloat
	kString
)

type keyVal struct {
	kind keyKind
	i    int64
	u    uint64
	f    float64
	s    string
}

func (k keyVal) String() string {
	switch k.kind {
	case kInt:
		return strconv.FormatInt(k.i, 10)
	case kUint:
		return strconv.FormatUint(k.u, 10)
	case kFloat:
		return strconv.FormatFloat(k.f, 'g', -1, 64)
	}
	return strconv.Quote(k.s)
}

// normKey normalises a Go value (a bound argument or a map bound).
func normKey(v any) (keyVal, bool) {
	switch x := v.(type) {
	case nil:
		return keyVal{}, false
	case int64:
		return keyVal{kind: kInt, i: x}, true
	case int:
		return keyVal{kind: kInt, i: int64(x)}, true
	case int32:
		return keyVal{kind: kInt, i: int64(x)}, true
	case int16:
		return keyVal{kind: kInt, i: int64(x)}, true
	case int8:
		return keyVal{kind: kInt, i: int64(x)}, true
	case uint64:
		if x <= math.MaxInt64 {
			return keyVal{kind: kInt, i: int64(x)}, true
		}
		return keyVal{kind: kUint, u: x}, true
	case uint:
		return normKey(uint64(x))
	case uint32:
		return keyVal{kind: kInt, i: int64(x)}, true
	case uint16:
		return keyVal{kind: kInt, i: int64(x)}, true
	case uint8:
		return keyVal{kind: kInt, i: int64(x)}, true
	case bool:
		if x {
			return keyVal{kind: kInt, i: 1}, true
		}
		return keyVal{kind: kInt, i: 0}, true
	case float64:
		return normFloat(x), true
	case float32:
		return normFloat(float64(x)), true
	case json.Number:
		return normNumberText(string(x))
	case string:
		return normString(x), true
	case []byte:
		return normString(string(x)), true
	case time.Time:
		if x.Nanosecond() != 0 {
			return keyVal{kind: kString, s: x.Format("2006-01-02 15:04:05.000000")}, true
		}
		return keyVal{kind: kString, s: x.Format("2006-01-02 15:04:05")}, true
	}
	return keyVal{}, false
}

func normFloat(f float64) keyVal {
	if f == math.Trunc(f) && !math.IsInf(f, 0) {
		if f >= -9.223372036854775808e18 && f < 9.223372036854775808e18 {
			return keyVal{kind: kInt, i: int64(f)}
		}
		if f >= 0 && f < 1.8446744073709551616e19 {
			return keyVal{kind: kUint, u: uint64(f)}
		}
	}
	return keyVal{kind: kFloat, f: f}
}

// normString keeps canonical decimal integers as integers.
func normString(s string) keyVal {
	if k, ok := canonicalInt(s); ok {
		return k
	}
	return keyVal{kind: kString, s: s}
}

func canonicalInt(s string) (keyVal, bool) {
	d := s
	neg := false
	if strings.HasPrefix(d, "-") {
		neg, d = true, d[1:]
	}
	if d == "" || len(d) > 20 || (len(d) > 1 && d[0] == '0') || (neg && d == "0") {
		return keyVal{}, false
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return keyVal{}, false
		}
	}
	if neg {
		i, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return keyVal{}, false
		}
		return keyVal{kind: kInt, i: i}, true
	}
	u, err := strconv.ParseUint(d, 10, 64)
	if err != nil {
		return keyVal{}, false
	}
	if u <= math.MaxInt64 {
		return keyVal{kind: kInt, i: int64(u)}, true
	}
	return keyVal{kind: kUint, u: u}, true
}

// normNumberText normalises an exact decimal literal ("5", "5.00", "-1.5",
// "1e3").
func normNumberText(s string) (keyVal, bool) {
	if k, ok := canonicalInt(s); ok {
		return k, true
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return keyVal{}, false
	}
	if r.IsInt() {
		n := r.Num()
		if n.IsInt64() {
			return keyVal{kind: kInt, i: n.Int64()}, true
		}
		if n.IsUint64() {
			return keyVal{kind: kUint, u: n.Uint64()}, true
		}
	}
	f, _ := r.Float64()
	return keyVal{kind: kFloat, f: f}, true
}

// KeyspaceID returns the 64-bit keyspace id of a shard-key value under the
// hash algorithm, and false when the value cannot be hashed (NULL, a
// non-integral number, an unsupported type).
func KeyspaceID(v any) (uint64, bool) {
	k, ok := normKey(v)
	if !ok {
		return 0, false
	}
	return keyspaceID(k)
}

func keyspaceID(k keyVal) (uint64, bool) {
	switch k.kind {
	case kInt:
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], uint64(k.i))
		return xxhash.Sum64(b[:]), true
	case kUint:
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], k.u)
		return xxhash.Sum64(b[:]), true
	case kString:
		return xxhash.Sum64String(k.s), true
	}
	return 0, false
}

// equalSplit returns the start of partition i of n: floor(i * 2^64 / n).
func equalSplit(i, n int) uint64 {
	q, _ := bits.Div64(uint64(i), 0, uint64(n))
	return q
}

// cmpKey compares two normalised keys; ok is false when they are not
// comparable (a number and a string).
func cmpKey(a, b keyVal) (int, bool) {
	if a.kind == kString || b.kind == kString {
		if a.kind != b.kind {
			return 0, false
		}
		return strings.Compare(a.s, b.s), true
	}
	if a.kind == kInt && b.kind == kInt {
		return cmp3(a.i < b.i, a.i > b.i), true
	}
	if a.kind != kFloat && b.kind != kFloat {
		// int vs uint (uint values are > MaxInt64)
		if a.kind == kUint && b.kind == kUint {
			return cmp3(a.u < b.u, a.u > b.u), true
		}
		if a.kind == kUint {
			return 1, true
		}
		return -1, true
	}
	af, bf := a.float(), b.float()
	return cmp3(af < bf, af > bf), true
}

func (k keyVal) float() float64 {
	switch k.kind {
	case kInt:
		return float64(k.i)
	case kUint:
		return float64(k.u)
	}
	return k.f
}

func cmp3(lt, gt bool) int {
	if lt {
		return -1
	}
	if gt {
		return 1
	}
	return 0
}

// modIndex returns key mod n (Euclidean) for an integer key.
func modIndex(k keyVal, n int) (int, bool) {
	switch k.kind {
	case kInt:
		m := k.i % int64(n)
		if m < 0 {
			m += int64(n)
		}
		return int(m), true
	case kUint:
		return int(k.u % uint64(n)), true
	}
	return 0, false
}

func parseHex64(s string) (uint64, error) {
	if len(s) != 16 {
		return 0, fmt.Errorf("%q is not 16 hex digits", s)
	}
	u, err := strconv.ParseUint(s, 16, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not 16 hex digits", s)
	}
	return u, nil
}
