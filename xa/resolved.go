package xa

import (
	"context"
	"errors"
	"time"
)

// markResolved calls MarkResolved for every decided gtrid known to have no
// branch left on any shard: decided and finished everywhere this round, or
// pending from an earlier round (or listed by PendingLister before the
// scan) and not seen now. Nothing is marked unless every shard was scanned.
func (r *Resolver) markResolved(ctx context.Context, scans []*shardScan, seen map[string]time.Time,
	dec map[string]Outcome, left map[string]int, listed []string, complete bool) (int, error) {
	r.mu.Lock()
	for g := range dec {
		r.pending[g] = struct{}{}
	}
	var done []string
	if complete && !anyShardFailed(scans) {
		for g := range r.pending {
			if _, stillSeen := seen[g]; !stillSeen || (dec[g] != "" && left[g] == 0) {
				done = append(done, g)
			}
		}
		for _, g := range listed {
			if _, stillSeen := seen[g]; !stillSeen {
				if _, dup := r.pending[g]; !dup {
					done = append(done, g)
				}
			}
		}
	}
	r.mu.Unlock()
	var errs []error
	n := 0
	for _, g := range done {
		if err := r.log.MarkResolved(ctx, g); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
		r.mu.Lock()
		delete(r.pending, g)
		if first, ok := r.firstSeen[g]; ok {
			r.stats.latency.Observe(time.Since(first).Seconds())
			delete(r.firstSeen, g)
		}
		r.mu.Unlock()
	}
	r.stats.resolved.Add(uint64(n))
	return n, errors.Join(errs...)
}

// anyShardFailed reports a shard whose scan or actions hit a connection error.
func anyShardFailed(scans []*shardScan) bool {
	for _, s := range scans {
		if s.err != nil {
			return true
		}
	}
	return false
}

// InDoubt lists the Shardline branches prepared on every shard now, with
// their recorded decision, for GET /v1/transactions. Shards that cannot be
// scanned are reported in the error; the others are still listed.
func (r *Resolver) InDoubt(ctx context.Context) ([]Branch, error) {
	scans := scanShards(ctx, r.shards, r.cfg.StatementTimeout)
	defer releaseAll(scans)
	var out []Branch
	var errs []error
	now := time.Now()
	for _, s := range scans {
		if s.err != nil {
			errs = append(errs, s.err)
		}
		for _, x := range s.xids {
			b := Branch{Shard: s.shard, XID: x, FirstSeen: now}
			r.mu.Lock()
			if t, ok := r.firstSeen[x.Gtrid]; ok {
				b.FirstSeen = t
			}
			r.mu.Unlock()
			if o, ok, err := r.log.LookupDecision(ctx, x.Gtrid); err != nil {
				errs = append(errs, err)
			} else if ok {
				b.Decision = o
			}
			out = append(out, b)
		}
	}
	return out, errors.Join(errs...)
}
