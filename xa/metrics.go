package xa

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// Stats is a snapshot of a Coordinator's counters.
type Stats struct {
	Commits1PC     uint64 // commits with at most one writing branch (no decision record)
	Commits2PC     uint64 // two-phase commits that reached the COMMIT decision
	Aborts         uint64 // commits that ended rolled back
	Rollbacks      uint64 // client rollbacks (Txn.Rollback)
	OutcomeUnknown uint64 // commits answered with 1180
	Deferred       uint64 // phase-2 branches left to the resolver
}

type metrics struct {
	commits1PC, commits2PC, aborts, rollbacks, unknown, deferred atomic.Uint64
}

func newMetrics() *metrics { return &metrics{} }

// Stats returns the current counters.
func (c *Coordinator) Stats() Stats {
	m := c.stats
	return Stats{
		Commits1PC: m.commits1PC.Load(), Commits2PC: m.commits2PC.Load(),
		Aborts: m.aborts.Load(), Rollbacks: m.rollbacks.Load(),
		OutcomeUnknown: m.unknown.Load(), Deferred: m.deferred.Load(),
	}
}

// Collectors exposes the counters for Prometheus; the caller registers them
// (once per process: the names are fixed).
func (c *Coordinator) Collectors() []prometheus.Collector {
	m := c.stats
	counter := func(name, help string, v *atomic.Uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: "shardline", Subsystem: "xa", Name: name, Help: help,
		}, func() float64 { return float64(v.Load()) })
	}
	return []prometheus.Collector{
		counter("commits_1pc_total", "Commits with at most one writing branch.", &m.commits1PC),
		counter("commits_2pc_total", "Two-phase commits that reached the COMMIT decision.", &m.commits2PC),
		counter("aborts_total", "Commits that ended rolled back.", &m.aborts),
		counter("rollbacks_total", "Client rollbacks.", &m.rollbacks),
		counter("outcome_unknown_total", "Commits answered with 1180 (outcome unknown).", &m.unknown),
		counter("phase2_deferred_total", "Phase-2 branches left to the resolver.", &m.deferred),
	}
}

// ResolverStats is a snapshot of a Resolver's counters.
type ResolverStats struct {
	InDoubtFound uint64 // in-doubt transactions (gtrids) found prepared by the resolver
	Resolved     uint64 // gtrids marked resolved by the resolver
}

type resolverMetrics struct {
	found, resolved atomic.Uint64
	latency         prometheus.Histogram
}

func newResolverMetrics() *resolverMetrics {
	return &resolverMetrics{latency: prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: "shardline", Subsystem: "xa", Name: "resolve_seconds",
		Help:    "Time from first seeing an in-doubt gtrid to marking it resolved.",
		Buckets: prometheus.ExponentialBuckets(0.5, 2, 12),
	})}
}

// Stats returns the current counters.
func (r *Resolver) Stats() ResolverStats {
	return ResolverStats{InDoubtFound: r.stats.found.Load(), Resolved: r.stats.resolved.Load()}
}

// Collectors exposes the resolver's metrics for Prometheus.
func (r *Resolver) Collectors() []prometheus.Collector {
	m := r.stats
	counter := func(name, help string, v *atomic.Uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: "shardline", Subsystem: "xa", Name: name, Help: help,
		}, func() float64 { return float64(v.Load()) })
	}
	return []prometheus.Collector{
		counter("resolver_in_doubt_found_total", "In-doubt transactions found prepared by the resolver.", &m.found),
		counter("resolver_resolved_total", "Transactions marked resolved by the resolver.", &m.resolved),
		m.latency,
	}
}
