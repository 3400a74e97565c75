package merge

import (
	_ "embed"
	"encoding/binary"
	"sync"
)

// utf8mb4_unicode_ci (UCA 4.0.0) weights, read from MariaDB 10.11 by
// gen_weights.go. Every BMP character has a fixed sequence of primary
// weights (no contractions at this level; ignorable characters have none);
// characters missing from the table take UCA's implicit weights, and
// characters beyond the BMP all weigh 0xFFFD, as MariaDB and MySQL do.

//go:embed uca400_weights.bin
var uca400Data []byte

// uca400 is the decoded table: index[cp] is 0 for implicit weights, else
// offset<<5 | count<<1 | 1 into weights.
var uca400 struct {
	once    sync.Once
	index   []uint32
	weights []uint16
}

func loadUCA400() {
	uca400.once.Do(func() {
		index := make([]uint32, 0x10000)
		var weights []uint16
		for d := uca400Data; len(d) >= 3; {
			cp, n := binary.BigEndian.Uint16(d), int(d[2])
			d = d[3:]
			index[cp] = uint32(len(weights))<<5 | uint32(n)<<1 | 1
			for i := 0; i < n; i++ {
				weights = append(weights, binary.BigEndian.Uint16(d[2*i:]))
			}
			d = d[2*n:]
		}
		uca400.index, uca400.weights = index, weights
	})
}

// ucaSpaceWeight is the primary weight of ' ' in UCA 4.0.0.
const ucaSpaceWeight = 0x0209

// ucaWeights returns the weights of r: a slice of the table, or else the
// implicit weights (one for characters beyond the BMP, two otherwise).
func ucaWeights(r rune) (table []uint16, implicit [2]uint16, n int) {
	if r > 0xFFFF || r < 0 {
		return nil, [2]uint16{0xFFFD}, 1
	}
	if e := uca400.index[r]; e != 0 {
		off, n := e>>5, (e>>1)&0xF
		return uca400.weights[off : off+n], implicit, 0
	}
	base := rune(0xFBC0)
	switch {
	case r >= 0x4E00 && r <= 0x9FA5 || isUnifiedCompat(r):
		base = 0xFB40
	case r >= 0x3400 && r <= 0x4DB5:
		base = 0xFB80
	}
	return nil, [2]uint16{uint16(base + r>>15), uint16(r&0x7FFF | 0x8000)}, 2
}

// isUnifiedCompat reports the CJK compatibility ideographs that UCA treats
// as unified ideographs.
func isUnifiedCompat(r rune) bool {
	switch r {
	case 0xFA0E, 0xFA0F, 0xFA11, 0xFA13, 0xFA14, 0xFA1F, 0xFA21, 0xFA23, 0xFA24, 0xFA27, 0xFA28, 0xFA29:
		return true
	}
	return false
}
