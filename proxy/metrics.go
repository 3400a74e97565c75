package proxy

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the proxy's Prometheus instruments.
type Metrics struct {
	connections prometheus.Gauge
	statements  *prometheus.CounterVec
	errors      prometheus.Counter
	latency     *prometheus.HistogramVec
}

// NewMetrics creates the instruments and registers them with reg (nil: not
// registered, e.g. in tests).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		connections: prometheus.NewGauge(prometheus.GaugeOpts{Name: "shardline_client_connections",
			Help: "Open client connections."}),
		statements: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "shardline_statements_total",
			Help: "Statements executed, by kind (single, scatter, write, txn, session, static)."}, []string{"kind"}),
		errors: prometheus.NewCounter(prometheus.CounterOpts{Name: "shardline_statement_errors_total",
			Help: "Statements answered with an error."}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "shardline_statement_seconds",
			Help: "Statement latency as seen by the proxy.", Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10)},
			[]string{"kind"}),
	}
	if reg != nil {
		reg.MustRegister(m.connections, m.statements, m.errors, m.latency)
	}
	return m
}
