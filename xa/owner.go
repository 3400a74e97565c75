package xa

import (
	"context"
	"errors"
	"time"
)

// branchKey names one branch on one shard in the resolver's maps.
func branchKey(shard string, x XID) string { return shard + "\x00" + x.SQL() }

// ownerGrace is how long the owner lock must have been seen free before
// the resolver finishes the branch.
const ownerGrace = 100 * time.Millisecond

// ownerGone reports whether the resolver may finish branch x now: its
// owner lock is free, and was already free in an earlier round at least
// ownerGrace ago.
//
// MariaDB 10.11 makes a prepared branch committable by other connections
// (XA COMMIT no longer answers 1397) a moment before InnoDB detaches the
// transaction from the disconnecting owner. An XA COMMIT or XA ROLLBACK in
// that window answers OK but does nothing: the transaction stays prepared,
// invisible to XA RECOVER and holding its locks until the server restarts
// (TestOwnerDisconnectRace). The owner lock is released at the end of the
// owner's clean-up; the grace covers the rest of it.
func (r *Resolver) ownerGone(ctx context.Context, s *shardScan, x XID) bool {
	var free bool
	err := withCtx(ctx, s.conn, func() error {
		res, err := s.conn.Execute("SELECT IS_USED_LOCK('" + ownerLock(x) + "') IS NULL")
		if err != nil {
			return err
		}
		v, err := res.GetInt(0, 0)
		free = v == 1
		return err
	})
	if err != nil {
		if errors.Is(err, errAbandoned) || IsConnLost(err) {
			s.err = err
		}
		r.cfg.Logger.Warn("xa: owner lock check failed", "xid", x.String(), "err", err)
		return false
	}
	key := branchKey(s.shard, x)
	r.mu.Lock()
	defer r.mu.Unlock()
	if !free {
		delete(r.ownerFree, key)
		return false
	}
	since, ok := r.ownerFree[key]
	if !ok {
		r.ownerFree[key] = time.Now()
	}
	return ok && time.Since(since) >= r.grace
}
