package xa

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// ResolverConfig configures a Resolver. Zero fields take the defaults.
type ResolverConfig struct {
	// Interval between two rounds of Run. Default 2s.
	Interval time.Duration
	// PrepareTimeout: a branch with no decision is aborted once the resolver
	// has seen its gtrid for this long. The age is counted from the first
	// time this resolver saw the gtrid in XA RECOVER, not from a timestamp
	// in the gtrid, so clocks of other nodes do not matter; after a leader
	// change the count restarts, which only delays the abort. Safety never
	// depends on it (the decision is a CAS), only how soon a live but slow
	// coordinator gets aborted: keep it ≥ Config.PrepareTimeout +
	// Config.DecisionTimeout. Default 30s; negative aborts undecided
	// branches at first sight (tests).
	PrepareTimeout time.Duration
	// StatementTimeout bounds each round's work on one shard. Default 10s.
	StatementTimeout time.Duration
	// Logger receives structured logs; nil means slog.Default().
	Logger *slog.Logger
}

func (c *ResolverConfig) setDefaults() {
	if c.Interval <= 0 {
		c.Interval = 2 * time.Second
	}
	if c.PrepareTimeout < 0 {
		c.PrepareTimeout = 0
	} else if c.PrepareTimeout == 0 {
		c.PrepareTimeout = 30 * time.Second
	}
	if c.StatementTimeout <= 0 {
		c.StatementTimeout = 10 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// PendingLister is optionally implemented by a DecisionLog that can list
// the decisions not yet marked resolved. The resolver then also marks
// resolved a decision whose branches were all finished before it ever saw
// them (a coordinator that died after its last XA COMMIT).
type PendingLister interface {
	UnresolvedDecisions(ctx context.Context) ([]string, error)
}

// Branch is one prepared Shardline branch found on a shard.
type Branch struct {
	Shard     string    `json:"shard"`
	XID       XID       `json:"xid"`
	Decision  Outcome   `json:"decision,omitempty"` // "" when none is recorded
	FirstSeen time.Time `json:"first_seen"`
}

// Report says what one resolver round did.
type Report struct {
	InDoubt    int // Shardline branches found prepared
	Committed  int // branches committed
	RolledBack int // branches rolled back
	Retry      int // branches left for a later round (no decision yet, 1397, errors)
	Resolved   int // gtrids marked resolved
}

// Resolver finishes in-doubt branches from the recorded decisions. Run it
// on one node only (the Raft leader). Its methods are safe for concurrent use.
type Resolver struct {
	cfg    ResolverConfig
	log    DecisionLog
	shards Shards
	stats  *resolverMetrics

	runMu     sync.Mutex // one round at a time
	mu        sync.Mutex // guards the maps
	firstSeen map[string]time.Time
	pending   map[string]struct{}  // decided gtrids acted on, not yet marked resolved
	ownerFree map[string]time.Time // branch key → when its owner lock was first seen free
	grace     time.Duration        // ownerGrace; shorter in tests
}

// NewResolver returns a resolver over shards using the decisions in log.
func NewResolver(cfg ResolverConfig, log DecisionLog, shards Shards) *Resolver {
	cfg.setDefaults()
	return &Resolver{
		cfg: cfg, log: log, shards: shards, stats: newResolverMetrics(),
		firstSeen: map[string]time.Time{}, pending: map[string]struct{}{}, ownerFree: map[string]time.Time{}, grace: ownerGrace,
	}
}

// Run calls RunOnce every Interval until ctx ends.
func (r *Resolver) Run(ctx context.Context) {
	t := time.NewTicker(r.cfg.Interval)
	defer t.Stop()
	for {
		if rep, err := r.RunOnce(ctx); err != nil {
			r.cfg.Logger.Warn("xa: resolver round incomplete", "err", err, "report", rep)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunOnce scans every shard with XA RECOVER and finishes what it can:
// decision COMMIT ⇒ XA COMMIT, ABORT ⇒ XA ROLLBACK, none and older than
// PrepareTimeout ⇒ record ABORT (CAS; a COMMIT that won is committed), then
// act. A decided gtrid with no branch left anywhere is marked resolved. The
// error joins the per-shard and decision-log failures; the round still
// does all it can.
func (r *Resolver) RunOnce(ctx context.Context) (Report, error) {
	r.runMu.Lock()
	defer r.runMu.Unlock()
	var rep Report
	pendingBefore, listErr := r.listPending(ctx)
	scans := scanShards(ctx, r.shards, r.cfg.StatementTimeout)
	defer releaseAll(scans)
	allOK := listErr == nil
	var errs []error
	for _, s := range scans {
		if s.err != nil {
			allOK = false
			errs = append(errs, s.err)
		}
		rep.InDoubt += len(s.xids)
	}
	seen := r.touchSeen(scans, allOK)
	decisions, err := r.decideAll(ctx, seen)
	errs = append(errs, err, listErr)
	finished := r.actAll(ctx, scans, decisions, &rep)
	rep.Resolved, err = r.markResolved(ctx, scans, seen, decisions, finished, pendingBefore, allOK)
	errs = append(errs, err)
	return rep, errors.Join(errs...)
}

// listPending reads unresolved decisions before the scan, if the log can.
func (r *Resolver) listPending(ctx context.Context) ([]string, error) {
	pl, ok := r.log.(PendingLister)
	if !ok {
		return nil, nil
	}
	return pl.UnresolvedDecisions(ctx)
}

// touchSeen records first-seen times and returns the gtrids seen this
// round. Times of gtrids gone from every shard are forgotten when the scan
// was complete.
func (r *Resolver) touchSeen(scans []*shardScan, complete bool) map[string]time.Time {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := map[string]time.Time{}
	keys := map[string]bool{}
	for _, s := range scans {
		for _, x := range s.xids {
			keys[branchKey(s.shard, x)] = true
			if _, ok := r.firstSeen[x.Gtrid]; !ok {
				r.firstSeen[x.Gtrid] = now
				r.stats.found.Add(1)
			}
			seen[x.Gtrid] = r.firstSeen[x.Gtrid]
		}
	}
	if complete {
		for g := range r.firstSeen {
			if _, ok := seen[g]; !ok {
				if _, ok := r.pending[g]; !ok { // kept for the latency metric
					delete(r.firstSeen, g)
				}
			}
		}
		for k := range r.ownerFree {
			if !keys[k] {
				delete(r.ownerFree, k)
			}
		}
	}
	return seen
}

// decideAll returns the decision for every seen gtrid that has one or is
// old enough to be aborted.
func (r *Resolver) decideAll(ctx context.Context, seen map[string]time.Time) (map[string]Outcome, error) {
	out := map[string]Outcome{}
	var errs []error
	for g, first := range seen {
		o, ok, err := r.log.LookupDecision(ctx, g)
		if err == nil && !ok && time.Since(first) >= r.cfg.PrepareTimeout {
			o, err = r.log.RecordDecision(ctx, g, Abort)
			ok = err == nil
			if ok {
				r.cfg.Logger.Info("xa: recorded ABORT for an undecided prepared transaction", "gtrid", g, "outcome", o)
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("xa: decision for %s: %w", g, err))
			continue
		}
		if ok && (o == Commit || o == Abort) {
			out[g] = o
		}
	}
	return out, errors.Join(errs...)
}

// actAll finishes the decided branches, shard by shard in parallel, and
// returns, per gtrid, how many of its branches are still left.
func (r *Resolver) actAll(ctx context.Context, scans []*shardScan, dec map[string]Outcome, rep *Report) map[string]int {
	left := map[string]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, s := range scans {
		if s.err != nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sctx, cancel := context.WithTimeout(ctx, r.cfg.StatementTimeout)
			defer cancel()
			for _, x := range s.xids {
				res := r.finish(sctx, s, x, dec[x.Gtrid])
				mu.Lock()
				switch res {
				case Commit:
					rep.Committed++
				case Abort:
					rep.RolledBack++
				default:
					rep.Retry++
					left[x.Gtrid]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return left
}

// finish commits or rolls back one branch and returns what it did, or ""
// when the branch is left for a later round.
func (r *Resolver) finish(ctx context.Context, s *shardScan, x XID, o Outcome) Outcome {
	if o == "" || s.err != nil || !r.ownerGone(ctx, s, x) {
		return ""
	}
	q := xaCommit(x.SQL())
	if o == Abort {
		q = xaRollback(x.SQL())
	}
	err := withCtx(ctx, s.conn, func() error { _, err := s.conn.Execute(q); return err })
	switch code := ErrorCode(err); {
	case err == nil:
		return o
	case code == codeXARollback:
		// A read-only branch (xa/DESIGN.md, fact 6): 1402, and it is gone.
		return o
	case code == codeXANota:
		// The owner connection still lives, or someone finished it just now
		// (xa/DESIGN.md, fact 2): the next scan tells.
		r.cfg.Logger.Debug("xa: 1397 from a non-owner; retrying later", "xid", x.String())
	default:
		if errors.Is(err, errAbandoned) || IsConnLost(err) {
			s.err = err // stop using this connection for the round
		}
		r.cfg.Logger.Warn("xa: resolver could not finish a branch", "xid", x.String(), "outcome", o, "err", err)
	}
	return ""
}
