package xa

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestOwnerDisconnectRace prepares a branch the way the coordinator does
// (owner lock, XA END, XA PREPARE), drops the owner connection and lets
// the resolver finish the branch in a tight loop on its own connection, so
// that its statements land while the server is still tearing the owner
// down. On MariaDB 10.11 an XA COMMIT in that window answers OK but commits
// nothing: the branch stays prepared, invisible to XA RECOVER and holding
// its locks until a restart (about 1 try in 30 without the guard). If this
// test fails, the resolver's owner-lock guard (owner.go) no longer keeps it
// out of that window and committed transactions go missing on a shard.
func TestOwnerDisconnectRace(t *testing.T) {
	c := startCluster(t, 1)
	e := newEnv(t, c, nil)
	e.res.grace = 5 * time.Millisecond
	s := &shardScan{shard: c.names[0], conn: c.dial(0)}
	ctx := context.Background()
	const runs = 150
	for i := range runs {
		x, err := NewXID(e.coord.Begin().Gtrid(), c.names[0])
		mustOK(t, err, "xid")
		id := nextRowID.Add(1)
		owner := c.dial(0)
		for _, q := range []string{xaStart(x.SQL()), lockAndShortWait(ownerLock(x), 5),
			fmt.Sprintf("INSERT INTO xt.acc VALUES (%d, 0)", id), xaEnd(x.SQL()), xaPrepare(x.SQL())} {
			mustOK(t, run(owner, q), q)
		}
		owner.Close()
		deadline := time.Now().Add(5 * time.Second)
		for e.res.finish(ctx, s, x, Commit) == "" {
			if s.err != nil || time.Now().After(deadline) {
				t.Fatalf("run %d: branch not finished (%v)", i, s.err)
			}
		}
		if e.rowsOn(0, id) != 1 {
			t.Fatalf("run %d: XA COMMIT answered OK but the row is missing (branch lost in the owner's disconnect)", i)
		}
	}
}
