package xa

import (
	"slices"
	"strconv"
	"testing"
)

// xid returns a conformance-test XID (foreign prefix: the resolver ignores it).
func xid(g string) XID { return XID{Gtrid: "conf-" + g, Bqual: "b", FormatID: FormatID} }

// prepareInsert runs XA START, INSERT id, XA END, XA PREPARE for x on c.
func prepareInsert(t *testing.T, c Conn, x XID, id int) {
	t.Helper()
	for _, q := range []string{xaStart(x.SQL()), "INSERT INTO xt.acc VALUES (" + strconv.Itoa(id) + ", 1)",
		xaEnd(x.SQL()), xaPrepare(x.SQL())} {
		mustOK(t, run(c, q), q)
	}
}

// listed reports whether x is in shard i's XA RECOVER.
func listed(c *cluster, i int, x XID) bool { return slices.Contains(c.recovered(i), x) }

// TestXAConformance re-asserts the MariaDB facts 1-9 of xa/DESIGN.md that
// the coordinator and the resolver are built on; each subtest name starts
// with its fact's number. If it fails, the server
// changed behaviour and the design (1397 handling, read-only branches,
// wait_timeout, XID encoding, fatal-error classification) must be revisited.
func TestXAConformance(t *testing.T) {
	c := startCluster(t, 1)
	tests := []struct {
		name string
		fn   func(t *testing.T, c *cluster)
	}{
		{"1 prepared branch survives disconnect, KILL and kill -9", confSurvival},
		{"2 1397 while the owner lives, and after commit", confNotaOwner},
		{"2 short wait_timeout releases a prepared branch (SET allowed while ACTIVE)", confWaitTimeout},
		{"3 1398 for ONE PHASE on a prepared branch", confOnePhasePrepared},
		{"5 DDL waits on a detached prepared branch (1205)", confDDLBlocked},
		{"6 read-only branch from another connection: 1402", confReadOnly},
		{"7 deadlock makes the branch rollback-only (1399)", confDeadlock},
		{"7 lock-wait timeout 1205 keeps the branch", confLockWait},
		{"8 duplicate check ignores formatID (1440)", confDupID},
		{"8 64-byte limit (65 is a syntax error)", confLimits},
		{"8 FORMAT='SQL' round trip of binary XIDs", confFormatSQL},
		{"9 MyISAM writes survive XA ROLLBACK", confMyISAM},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sub := *c
			sub.t = t
			tc.fn(t, &sub)
		})
	}
}
