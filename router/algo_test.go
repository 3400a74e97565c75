package router

import (
	"encoding/json"
	"testing"
	"time"
)

// TestKeyspaceIDVectors pins the hash algorithm: if it fails, rows written
// before the change are looked for on the wrong partition.
func TestKeyspaceIDVectors(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want uint64
	}{
		{int64(0), 0x34c96acdcadb1bbb},
		{int64(1), 0x9f1ffc793b8a47da},
		{int64(-1), 0x85d136adb773c6c9},
		{int64(42), 0xa2c396223f8bdbdf},
		{42, 0xa2c396223f8bdbdf},
		{uint64(42), 0xa2c396223f8bdbdf},
		{"42", 0xa2c396223f8bdbdf},        // a canonical integer string is the integer
		{float64(42), 0xa2c396223f8bdbdf}, // so is an integral float
		{json.Number("42"), 0xa2c396223f8bdbdf},
		{uint64(18446744073709551615), 0x85d136adb773c6c9}, // same 8 bytes as -1
		{"", 0xef46db3751d8e999},                           // XXH64 of the empty input
		{"abc", 0x44bc2cf5ad770999},                        // XXH64("abc")
		{[]byte("abc"), 0x44bc2cf5ad770999},
		{"sensor-1", 0x06b265fbfbb6c3c1},
		{"042", 0x0}, // not canonical: hashed as bytes (checked below)
	} {
		got, ok := KeyspaceID(tc.v)
		if !ok {
			t.Fatalf("KeyspaceID(%#v) not hashable", tc.v)
		}
		if tc.want != 0 && got != tc.want {
			t.Errorf("KeyspaceID(%#v) = %016x, want %016x", tc.v, got, tc.want)
		}
	}
	a, _ := KeyspaceID("042")
	b, _ := KeyspaceID(42)
	if a == b {
		t.Error("'042' must hash as a string, not as 42")
	}
	for _, v := range []any{nil, 1.5, struct{}{}} {
		if _, ok := KeyspaceID(v); ok {
			t.Errorf("KeyspaceID(%#v) should not be hashable", v)
		}
	}
	ts := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	x, _ := KeyspaceID(ts)
	y, _ := KeyspaceID("2024-01-02 03:04:05")
	if x != y {
		t.Error("a time.Time must hash as its DATETIME text")
	}
}

func TestEqualSplit(t *testing.T) {
	if equalSplit(0, 4) != 0 || equalSplit(1, 4) != 1<<62 || equalSplit(2, 4) != 1<<63 || equalSplit(3, 4) != 3<<62 {
		t.Fatal("equal split of 4")
	}
	if equalSplit(1, 3) != 0x5555555555555555 || equalSplit(2, 3) != 0xaaaaaaaaaaaaaaaa {
		t.Fatalf("equal split of 3: %x %x", equalSplit(1, 3), equalSplit(2, 3))
	}
}

func TestModIndex(t *testing.T) {
	for _, tc := range []struct {
		k    keyVal
		n    int
		want int
	}{
		{keyVal{kind: kInt, i: 5}, 2, 1},
		{keyVal{kind: kInt, i: -1}, 4, 3},
		{keyVal{kind: kInt, i: -4}, 4, 0},
		{keyVal{kind: kUint, u: 18446744073709551615}, 10, 5},
	} {
		if got, _ := modIndex(tc.k, tc.n); got != tc.want {
			t.Errorf("%v mod %d = %d, want %d", tc.k, tc.n, got, tc.want)
		}
	}
	if _, ok := modIndex(keyVal{kind: kString, s: "x"}, 2); ok {
		t.Error("a string has no mod")
	}
}

func TestNormKey(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want keyVal
	}{
		{"-7", keyVal{kind: kInt, i: -7}},
		{"0", keyVal{kind: kInt}},
		{"-0", keyVal{kind: kString, s: "-0"}},
		{"007", keyVal{kind: kString, s: "007"}},
		{" 7", keyVal{kind: kString, s: " 7"}},
		{"18446744073709551615", keyVal{kind: kUint, u: 18446744073709551615}},
		{"18446744073709551616", keyVal{kind: kString, s: "18446744073709551616"}},
		{2.5, keyVal{kind: kFloat, f: 2.5}},
		{true, keyVal{kind: kInt, i: 1}},
	} {
		got, ok := normKey(tc.v)
		if !ok || got != tc.want {
			t.Errorf("normKey(%#v) = %+v, want %+v", tc.v, got, tc.want)
		}
	}
	if k, ok := normNumberText("5.000"); !ok || k != (keyVal{kind: kInt, i: 5}) {
		t.Errorf("5.000 = %+v", k)
	}
}

func TestRangeIndex(t *testing.T) {
	c, err := compile(goldenMap())
	if err != nil {
		t.Fatal(err)
	}
	r := c.schema("oms").rule("logs")
	for _, tc := range []struct {
		k    any
		want int
	}{{-5, 0}, {99, 0}, {100, 1}, {199, 1}, {200, 2}, {1 << 40, 2}, {"150", 1}} {
		k, _ := normKey(tc.k)
		if got, ok := r.index(k); !ok || got != tc.want {
			t.Errorf("range index of %v = %d %v, want %d", tc.k, got, ok, tc.want)
		}
	}
	k, _ := normKey("abc")
	if _, ok := r.index(k); ok {
		t.Error("a string key has no numeric range")
	}
}
