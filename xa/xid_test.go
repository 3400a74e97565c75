package xa

import (
	"errors"
	"strings"
	"testing"
)

// TestGtridRoundTrip: if it fails, the resolver cannot recognise the gtrids
// the coordinator makes (or takes foreign ones for ours) and in-doubt
// branches are never finished, or another application's are touched.
func TestGtridRoundTrip(t *testing.T) {
	tests := []struct {
		p GtridParts
	}{
		{GtridParts{NodeID: "n1", Epoch: 1732580000000, Counter: 1}},
		{GtridParts{NodeID: strings.Repeat("z", 16), Epoch: ^uint64(0), Counter: ^uint64(0)}},
		{GtridParts{NodeID: "a-b_C9", Epoch: 0, Counter: 0}},
	}
	for _, tc := range tests {
		g := FormatGtrid(tc.p)
		if len(g) > MaxXIDPart {
			t.Fatalf("%q is %d bytes, over %d", g, len(g), MaxXIDPart)
		}
		got, err := ParseGtrid(g)
		if err != nil || got != tc.p {
			t.Fatalf("ParseGtrid(%q) = %+v, %v; want %+v", g, got, err, tc.p)
		}
		if !(XID{Gtrid: g, Bqual: "s0", FormatID: FormatID}).Ours() {
			t.Fatalf("%q not recognised as ours", g)
		}
	}
}

// TestForeignXIDsAreNotOurs: if it fails, the resolver would commit or roll
// back XA transactions of other applications sharing the shard servers.
func TestForeignXIDsAreNotOurs(t *testing.T) {
	tests := []XID{
		{Gtrid: "shl:n1:1:2", Bqual: "s0", FormatID: 1},            // other formatID
		{Gtrid: "app:n1:1:2", Bqual: "s0", FormatID: FormatID},     // other prefix
		{Gtrid: "shl:n1:1", Bqual: "s0", FormatID: FormatID},       // missing field
		{Gtrid: "shl:n1:x:2", Bqual: "s0", FormatID: FormatID},     // not a number
		{Gtrid: "shl:n 1:1:2", Bqual: "s0", FormatID: FormatID},    // bad node id
		{Gtrid: "shl:n1:1:2:3", Bqual: "s0", FormatID: FormatID},   // extra field
		{Gtrid: "shl::1:2", Bqual: "s0", FormatID: FormatID},       // empty node
		{Gtrid: "shl:n1:-1:2", Bqual: "s0", FormatID: FormatID},    // negative
		{Gtrid: "SHL:n1:1:2", Bqual: "s0", FormatID: FormatID},     // case matters
		{Gtrid: "shl:n1:1:2\x00", Bqual: "s0", FormatID: FormatID}, // trailing byte
	}
	for _, x := range tests {
		if x.Ours() {
			t.Errorf("%+v taken for a Shardline XID", x)
		}
	}
}

// TestXIDValidate: if it fails, an over-long shard name or gtrid reaches
// MariaDB as a syntax error (1064) in the middle of a commit.
func TestXIDValidate(t *testing.T) {
	tests := []struct {
		gtrid, bqual string
		ok           bool
	}{
		{"g", "b", true},
		{strings.Repeat("g", 64), strings.Repeat("b", 64), true},
		{strings.Repeat("g", 65), "b", false},
		{"g", strings.Repeat("b", 65), false},
		{"", "b", false},
		{"g", "", false},
	}
	for _, tc := range tests {
		_, err := NewXID(tc.gtrid, tc.bqual)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrBadXID)) {
			t.Errorf("NewXID(%d bytes, %d bytes) = %v, want ok=%v", len(tc.gtrid), len(tc.bqual), err, tc.ok)
		}
	}
}

// TestParseRecoverSQL: if it fails, the resolver misreads XA RECOVER
// FORMAT='SQL' rows and cannot address the branches it must finish.
func TestParseRecoverSQL(t *testing.T) {
	tests := []struct {
		fid  int64
		data string
		want XID
		ok   bool
	}{
		{21320, "X'73686c3a6e313a313a32',X'7330',21320", XID{"shl:n1:1:2", "s0", 21320}, true},
		{21320, "'abc','s0',21320", XID{"abc", "s0", 21320}, true},
		{1, "'abc','def'", XID{"abc", "def", 1}, true},
		{1, "'abc'", XID{"abc", "", 1}, true},
		{7, "X'00ff',X'',7", XID{"\x00\xff", "", 7}, true},
		{7, "X'00ff',X'01',8", XID{}, false}, // formatID mismatch
		{7, "X'0g',X'01',7", XID{}, false},   // bad hex
		{7, "abc,'d',7", XID{}, false},       // unquoted
		{7, "'a','b','c',7", XID{}, false},   // too many fields
	}
	for _, tc := range tests {
		got, err := ParseRecoverSQL(tc.fid, tc.data)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseRecoverSQL(%d, %q) = %+v, %v; want %+v ok=%v", tc.fid, tc.data, got, err, tc.want, tc.ok)
		}
	}
}

// TestParseRecoverHex: if it fails, the resolver misreads MySQL's XA
// RECOVER CONVERT XID rows (the fallback when FORMAT='SQL' is a syntax
// error) and cannot finish branches on MySQL shards.
func TestParseRecoverHex(t *testing.T) {
	tests := []struct {
		fid, glen int64
		data      string
		want      XID
		ok        bool
	}{
		{21320, 10, "0x73686c3a6e313a313a327330", XID{"shl:n1:1:2", "s0", 21320}, true},
		{1, 3, "0x616263", XID{"abc", "", 1}, true},
		{7, 2, "0x00ff01", XID{"\x00\xff", "\x01", 7}, true},
		{7, 4, "0x00ff01", XID{}, false}, // gtrid longer than the data
		{7, 1, "0x0g", XID{}, false},     // bad hex
		{7, 1, "X'00'", XID{}, false},    // not the hex form
		{-1, 1, "0x0001", XID{}, false},  // bad formatID
	}
	for _, tc := range tests {
		got, err := ParseRecoverHex(tc.fid, tc.glen, tc.data)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseRecoverHex(%d, %d, %q) = %+v, %v; want %+v ok=%v", tc.fid, tc.glen, tc.data, got, err, tc.want, tc.ok)
		}
	}
}

// TestXIDSQL: if it fails, XA statements carry the wrong bytes or break on
// quotes in shard names.
func TestXIDSQL(t *testing.T) {
	x := XID{Gtrid: "a'b", Bqual: "s0", FormatID: FormatID}
	if got, want := x.SQL(), "X'612762',X'7330',21320"; got != want {
		t.Fatalf("SQL() = %s, want %s", got, want)
	}
	if got := verb(xaCommitOnePhase(x.SQL())); got != "XA COMMIT" {
		t.Fatalf("verb = %q", got)
	}
}
