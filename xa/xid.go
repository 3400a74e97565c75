package xa

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// FormatID is the XA formatID of every Shardline branch ("SH").
const FormatID = 0x5348

// GtridPrefix starts every Shardline gtrid; with FormatID it is how the
// resolver recognises its own branches and never touches another
// application's XIDs (xa/DESIGN.md, fact 15).
const GtridPrefix = "shl:"

// MaxXIDPart is MariaDB's limit on gtrid and on bqual, in bytes (xa/DESIGN.md, fact 8).
const MaxXIDPart = 64

// ErrBadXID reports a gtrid or bqual that Shardline cannot use or did not make.
var ErrBadXID = errors.New("xa: invalid xid")

// XID names one branch: the global transaction (Gtrid) on one shard (Bqual).
type XID struct {
	Gtrid    string
	Bqual    string
	FormatID uint32
}

// NewXID returns the XID of gtrid's branch on shard, validating both lengths.
func NewXID(gtrid, shard string) (XID, error) {
	x := XID{Gtrid: gtrid, Bqual: shard, FormatID: FormatID}
	return x, x.Validate()
}

// Validate checks MariaDB's length limits (1..64 bytes each).
func (x XID) Validate() error {
	switch {
	case x.Gtrid == "" || len(x.Gtrid) > MaxXIDPart:
		return fmt.Errorf("%w: gtrid %q must be 1..%d bytes", ErrBadXID, x.Gtrid, MaxXIDPart)
	case x.Bqual == "" || len(x.Bqual) > MaxXIDPart:
		return fmt.Errorf("%w: bqual %q must be 1..%d bytes", ErrBadXID, x.Bqual, MaxXIDPart)
	}
	return nil
}

// SQL renders the XID for XA statements as hex literals, which need no
// quoting or escaping whatever bytes the parts hold:
// X'<gtrid>',X'<bqual>',<formatID>.
func (x XID) SQL() string {
	return "X'" + hex.EncodeToString([]byte(x.Gtrid)) + "',X'" +
		hex.EncodeToString([]byte(x.Bqual)) + "'," + strconv.FormatUint(uint64(x.FormatID), 10)
}

// String is the human form used in logs: gtrid/bqual.
func (x XID) String() string { return x.Gtrid + "/" + x.Bqual }

// Ours reports whether x is a Shardline branch: our formatID and a gtrid
// that parses as one we make.
func (x XID) Ours() bool {
	if x.FormatID != FormatID {
		return false
	}
	_, err := ParseGtrid(x.Gtrid)
	return err == nil
}

// GtridParts are the fields a Shardline gtrid encodes.
type GtridParts struct {
	NodeID  string
	Epoch   uint64
	Counter uint64
}

// FormatGtrid renders "shl:<node>:<epoch>:<counter>" (decimal numbers).
func FormatGtrid(p GtridParts) string {
	return GtridPrefix + p.NodeID + ":" + strconv.FormatUint(p.Epoch, 10) + ":" +
		strconv.FormatUint(p.Counter, 10)
}

// ParseGtrid is the inverse of FormatGtrid; anything else is ErrBadXID.
func ParseGtrid(g string) (GtridParts, error) {
	bad := fmt.Errorf("%w: %q is not a Shardline gtrid", ErrBadXID, g)
	rest, ok := strings.CutPrefix(g, GtridPrefix)
	if !ok || len(g) > MaxXIDPart {
		return GtridParts{}, bad
	}
	f := strings.Split(rest, ":")
	if len(f) != 3 || validateNodeID(f[0]) != nil {
		return GtridParts{}, bad
	}
	epoch, err1 := strconv.ParseUint(f[1], 10, 64)
	counter, err2 := strconv.ParseUint(f[2], 10, 64)
	if err1 != nil || err2 != nil {
		return GtridParts{}, bad
	}
	return GtridParts{NodeID: f[0], Epoch: epoch, Counter: counter}, nil
}

// maxNodeID keeps the longest gtrid (20-digit epoch and counter) within 64
// bytes: 4 + 16 + 1 + 20 + 1 + 20 = 62.
const maxNodeID = 16

// validateNodeID accepts 1..16 bytes of [A-Za-z0-9_-].
func validateNodeID(id string) error {
	if id == "" || len(id) > maxNodeID {
		return fmt.Errorf("%w: node id %q must be 1..%d bytes", ErrBadXID, id, maxNodeID)
	}
	for _, r := range id {
		ok := r == '-' || r == '_' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
		if !ok {
			return fmt.Errorf("%w: node id %q may hold only [A-Za-z0-9_-]", ErrBadXID, id)
		}
	}
	return nil
}

// ParseRecoverSQL parses the data column of XA RECOVER FORMAT='SQL' back
// into an XID with its exact bytes (xa/DESIGN.md, fact 8). MariaDB prints each part
// as 'text' when every byte is in [A-Za-z0-9 _-] and as X'hex' otherwise,
// and leaves out a trailing empty bqual and formatID 1: 'a', 'a','b',
// X'..',X'..',21320. Neither form can hold a comma.
func ParseRecoverSQL(formatID int64, data string) (XID, error) {
	bad := fmt.Errorf("%w: cannot parse XA RECOVER data %q", ErrBadXID, data)
	f := strings.Split(data, ",")
	if len(f) > 3 || formatID < 0 || formatID >= 1<<31 {
		return XID{}, bad
	}
	for len(f) < 3 {
		f = append(f, map[int]string{1: "''", 2: "1"}[len(f)])
	}
	g, err1 := parseXIDPart(f[0])
	b, err2 := parseXIDPart(f[1])
	fid, err3 := strconv.ParseInt(f[2], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || fid != formatID {
		return XID{}, bad
	}
	return XID{Gtrid: g, Bqual: b, FormatID: uint32(fid)}, nil
}

// ParseRecoverHex parses a row of MySQL's XA RECOVER CONVERT XID: data is
// 0x followed by the hex of gtrid and bqual together, gtridLen says where
// gtrid ends.
func ParseRecoverHex(formatID, gtridLen int64, data string) (XID, error) {
	bad := fmt.Errorf("%w: cannot parse XA RECOVER CONVERT XID data %q", ErrBadXID, data)
	h, ok := strings.CutPrefix(data, "0x")
	if !ok {
		return XID{}, bad
	}
	raw, err := hex.DecodeString(h)
	if err != nil || gtridLen < 0 || gtridLen > int64(len(raw)) || formatID < 0 || formatID >= 1<<31 {
		return XID{}, bad
	}
	return XID{Gtrid: string(raw[:gtridLen]), Bqual: string(raw[gtridLen:]), FormatID: uint32(formatID)}, nil
}

// parseXIDPart decodes 'text' or X'hex'.
func parseXIDPart(s string) (string, error) {
	if len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'' {
		return s[1 : len(s)-1], nil
	}
	h, ok := strings.CutPrefix(s, "X'")
	if !ok || !strings.HasSuffix(h, "'") {
		return "", ErrBadXID
	}
	raw, err := hex.DecodeString(strings.TrimSuffix(h, "'"))
	return string(raw), err
}
