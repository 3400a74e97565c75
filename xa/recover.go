package xa

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
)

// Shards gives the resolver a connection to every shard (one per backend
// server: XA RECOVER lists every branch on the server). Conn returns a
// connection and a release function the resolver calls when done with it.
// When a statement outlives its timeout the resolver closes the connection
// (if it implements io.Closer) before releasing it; release must cope.
type Shards interface {
	Names() []string
	Conn(ctx context.Context, shard string) (Conn, func(), error)
}

// xaRecover lists the Shardline branches prepared on one connection.
func xaRecover(ctx context.Context, c Conn) ([]XID, error) {
	var res []XID
	err := withCtx(ctx, c, func() error {
		var err error
		res, err = RecoverOurs(c)
		return err
	})
	return res, err
}

// RecoverOurs runs XA RECOVER on c and returns the Shardline branches
// prepared on its server, with their exact bytes (xa/DESIGN.md, fact 8). MariaDB is
// asked with FORMAT='SQL'; a server that does not know that syntax (MySQL:
// error 1064) with CONVERT XID, which prints gtrid and bqual as one hex
// string. XIDs that are not ours are left out.
func RecoverOurs(c Conn) ([]XID, error) {
	hexForm := false
	r, err := c.Execute("XA RECOVER FORMAT='SQL'")
	var me *mysql.MyError
	if errors.As(err, &me) && me.Code == mysql.ER_PARSE_ERROR {
		hexForm = true
		r, err = c.Execute("XA RECOVER CONVERT XID")
	}
	if err != nil || r.Resultset == nil {
		return nil, err
	}
	var res []XID
	for i := range r.Values {
		fid, err1 := r.GetInt(i, 0)
		data, err2 := r.GetString(i, 3)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("xa: XA RECOVER row %d: %v %v", i, err1, err2)
		}
		var x XID
		if hexForm {
			glen, _ := r.GetInt(i, 1)
			x, err = ParseRecoverHex(fid, glen, data)
		} else {
			x, err = ParseRecoverSQL(fid, data)
		}
		if err == nil && x.Ours() {
			res = append(res, x)
		}
	}
	return res, nil
}

// shardScan is one shard's connection and prepared Shardline branches.
type shardScan struct {
	shard   string
	conn    Conn
	release func()
	xids    []XID
	err     error
}

// scanShards runs XA RECOVER on every shard in parallel, each within
// timeout. The caller releases the connections with releaseAll.
func scanShards(ctx context.Context, shards Shards, timeout time.Duration) []*shardScan {
	names := shards.Names()
	out := make([]*shardScan, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := &shardScan{shard: name}
			out[i] = s
			sctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			s.conn, s.release, s.err = shards.Conn(sctx, name)
			if s.err == nil {
				s.xids, s.err = xaRecover(sctx, s.conn)
			}
			if s.err != nil {
				s.err = fmt.Errorf("xa: XA RECOVER on shard %s: %w", name, s.err)
			}
		}()
	}
	wg.Wait()
	return out
}

func releaseAll(scans []*shardScan) {
	for _, s := range scans {
		if s.release != nil {
			s.release()
		}
	}
}
