package proxy

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the proxy's Prometheus instruments.
type Metrics struct {
	connections prometheus.Gauge
	statements  kindCounters
	errors      prometheus.Counter
	latency     kindHistograms
}

// statementKinds are the label values execPlan uses; their children are
// resolved once so the hot path takes no lock of the metric vectors.
var statementKinds = []string{"single", "scatter", "write", "txn", "session", "static", "other"}

// NewMetrics creates the instruments and registers them with reg (nil: not
// registered, e.g. in tests).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	statements := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "shardline_statements_total",
		Help: "Statements executed, by kind (single, scatter, write, txn, session, static)."}, []string{"kind"})
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "shardline_statement_seconds",
		Help: "Statement latency as seen by the proxy.", Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10)},
		[]string{"kind"})
	m := &Metrics{
		connections: prometheus.NewGauge(prometheus.GaugeOpts{Name: "shardline_client_connections",
			Help: "Open client connections."}),
		statements: kindCounters{vec: statements, byKind: map[string]prometheus.Counter{}},
		errors: prometheus.NewCounter(prometheus.CounterOpts{Name: "shardline_statement_errors_total",
			Help: "Statements answered with an error."}),
		latency: kindHistograms{vec: latency, byKind: map[string]prometheus.Observer{}},
	}
	for _, k := range statementKinds {
		m.statements.byKind[k] = statements.WithLabelValues(k)
		m.latency.byKind[k] = latency.WithLabelValues(k)
	}
	if reg != nil {
		reg.MustRegister(m.connections, statements, m.errors, latency)
	}
	return m
}

// kindCounters is a CounterVec whose children for the known kinds are
// looked up in a read-only map.
type kindCounters struct {
	vec    *prometheus.CounterVec
	byKind map[string]prometheus.Counter
}

func (k kindCounters) WithLabelValues(kind string) prometheus.Counter {
	if c, ok := k.byKind[kind]; ok {
		return c
	}
	return k.vec.WithLabelValues(kind)
}

type kindHistograms struct {
	vec    *prometheus.HistogramVec
	byKind map[string]prometheus.Observer
}

func (k kindHistograms) WithLabelValues(kind string) prometheus.Observer {
	if o, ok := k.byKind[kind]; ok {
		return o
	}
	return k.vec.WithLabelValues(kind)
}
