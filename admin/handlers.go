package admin

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/shardline/shardline/metaraft"
	"github.com/shardline/shardline/router"
)

// routes wires every endpoint of the admin API (README.md, "Admin API and
// shardctl").
func (s *Server) routes(reg *prometheus.Registry, requests *prometheus.CounterVec) http.Handler {
	mux := http.NewServeMux()
	v1 := func(pattern string, h http.HandlerFunc) {
		mux.Handle(pattern, counted(requests, pattern, s.authorize(h)))
	}
	v1("GET /v1/shardmap", s.getShardMap)
	v1("PUT /v1/shards/{name}", s.putShard)
	v1("DELETE /v1/shards/{name}", s.deleteShard)
	v1("PUT /v1/schemas/{schema}", s.putSchema)
	v1("PUT /v1/schemas/{schema}/tables/{table}", s.putTable)
	v1("DELETE /v1/schemas/{schema}/tables/{table}", s.deleteTable)
	v1("GET /v1/cluster", s.getCluster)
	v1("POST /v1/cluster/nodes", s.addNode)
	v1("DELETE /v1/cluster/nodes/{id}", s.removeNode)
	v1("GET /v1/transactions", s.getTransactions)
	v1("POST /v1/sequences/{name}", s.advanceSequence)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("/internal/", s.store.InternalHandler())
	return mux
}

// counted counts requests by route pattern and status code.
func counted(c *prometheus.CounterVec, route string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		h.ServeHTTP(rec, r)
		c.WithLabelValues(route, strconv.Itoa(rec.code)).Inc()
	})
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.code = code
	r.ResponseWriter.WriteHeader(code)
}

// authorize requires "Authorization: Bearer <token>" (constant-time compare).
func (s *Server) authorize(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Token != "" {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.Token)) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="shardline"`)
				writeError(w, http.StatusUnauthorized, errors.New("missing or wrong bearer token"))
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// errorBody is the JSON body of every error response.
type errorBody struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, code int, err error) {
	writeJSON(w, code, errorBody{Error: err.Error()})
}

// statusOf maps store errors to HTTP status codes.
func statusOf(err error) int {
	switch {
	case errors.Is(err, errBadRequest), errors.Is(err, metaraft.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, metaraft.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, metaraft.ErrVersionConflict), errors.Is(err, metaraft.ErrInUse):
		return http.StatusConflict
	case errors.Is(err, metaraft.ErrNoLeader), errors.Is(err, metaraft.ErrNotLeader),
		errors.Is(err, metaraft.ErrIndeterminate), errors.Is(err, metaraft.ErrClosed):
		return http.StatusServiceUnavailable
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout
	}
	return http.StatusInternalServerError
}

var errBadRequest = errors.New("bad request")

// decodeBody decodes a JSON body strictly: unknown fields and trailing data
// are errors.
func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: body: %v", errBadRequest, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: body: trailing data after the JSON value", errBadRequest)
	}
	return nil
}

// ifMatch parses If-Match: <version> (quotes allowed); absent ⇒ AnyVersion.
func ifMatch(r *http.Request) (uint64, error) {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" || h == "*" {
		return metaraft.AnyVersion, nil
	}
	v, err := strconv.ParseUint(strings.Trim(h, `"`), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: If-Match %q is not a map version", errBadRequest, h)
	}
	return v, nil
}

// versionBody is the answer of every shard-map write.
type versionBody struct {
	Version uint64 `json:"version"`
}

// mapWrite runs one shard-map write with the request's If-Match and answers.
func (s *Server) mapWrite(w http.ResponseWriter, r *http.Request, body any, do func(ctx context.Context, ifVersion uint64) (uint64, error)) {
	ifv, err := ifMatch(r)
	if err == nil && body != nil {
		err = decodeBody(r, body)
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.WriteTimeout)
	defer cancel()
	v, err := do(ctx, ifv)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", strconv.Quote(strconv.FormatUint(v, 10)))
	writeJSON(w, http.StatusOK, versionBody{Version: v})
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := statusOf(err)
	if code >= 500 {
		s.cfg.Logger.Warn("admin: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeError(w, code, err)
}

func (s *Server) getShardMap(w http.ResponseWriter, r *http.Request) {
	m := s.store.ShardMap()
	w.Header().Set("ETag", strconv.Quote(strconv.FormatUint(m.Version, 10)))
	writeJSON(w, http.StatusOK, redacted(m))
}

// redactedPassword stands for a shard password in API output: the map in
// Raft keeps it (every node dials the shards), the admin API never shows it.
const redactedPassword = "********"

// redacted returns a copy of m without shard passwords.
func redacted(m *router.ShardMap) *router.ShardMap {
	c := m.Clone()
	for _, sh := range c.Shards {
		if sh.Password != "" {
			sh.Password = redactedPassword
		}
	}
	return c
}

func (s *Server) putShard(w http.ResponseWriter, r *http.Request) {
	var sh router.Shard
	s.mapWrite(w, r, &sh, func(ctx context.Context, v uint64) (uint64, error) {
		return s.store.PutShard(ctx, r.PathValue("name"), &sh, v)
	})
}

func (s *Server) deleteShard(w http.ResponseWriter, r *http.Request) {
	s.mapWrite(w, r, nil, func(ctx context.Context, v uint64) (uint64, error) {
		return s.store.DeleteShard(ctx, r.PathValue("name"), v)
	})
}

type schemaBody struct {
	DefaultShard string `json:"default_shard"`
}

func (s *Server) putSchema(w http.ResponseWriter, r *http.Request) {
	var b schemaBody
	s.mapWrite(w, r, &b, func(ctx context.Context, v uint64) (uint64, error) {
		return s.store.PutSchema(ctx, r.PathValue("schema"), b.DefaultShard, v)
	})
}

func (s *Server) putTable(w http.ResponseWriter, r *http.Request) {
	var rule router.TableRule
	s.mapWrite(w, r, &rule, func(ctx context.Context, v uint64) (uint64, error) {
		return s.store.PutTable(ctx, r.PathValue("schema"), r.PathValue("table"), &rule, v)
	})
}

func (s *Server) deleteTable(w http.ResponseWriter, r *http.Request) {
	s.mapWrite(w, r, nil, func(ctx context.Context, v uint64) (uint64, error) {
		return s.store.DeleteTable(ctx, r.PathValue("schema"), r.PathValue("table"), v)
	})
}

func (s *Server) getCluster(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.store.ClusterView(r.Context()))
}

// NodeRequest is the body of POST /v1/cluster/nodes.
type NodeRequest struct {
	ID        string `json:"id"`
	RaftAddr  string `json:"raft_addr"`
	AdminAddr string `json:"admin_addr"`
	MySQLAddr string `json:"mysql_addr"`
}

func (s *Server) addNode(w http.ResponseWriter, r *http.Request) {
	var b NodeRequest
	if err := decodeBody(r, &b); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.WriteTimeout)
	defer cancel()
	if err := s.store.AddNode(ctx, b.ID, b.RaftAddr, b.AdminAddr, b.MySQLAddr); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.store.Cluster())
}

// removeNode takes a node out of the Raft group (to replace a dead one).
func (s *Server) removeNode(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.WriteTimeout)
	defer cancel()
	if err := s.store.RemoveNode(ctx, r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.store.Cluster())
}

// TransactionsBody is the answer of GET /v1/transactions.
type TransactionsBody struct {
	// Decisions are the recorded decisions not yet resolved (local view).
	Decisions []metaraft.Decision `json:"decisions"`
	// InDoubt lists in-doubt branches found on the shards (from the proxy's
	// hook; null when the hook is not set).
	InDoubt any `json:"in_doubt"`
}

func (s *Server) getTransactions(w http.ResponseWriter, r *http.Request) {
	body := TransactionsBody{Decisions: s.store.Decisions()}
	if s.cfg.Transactions != nil {
		v, err := s.cfg.Transactions(r.Context())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		body.InDoubt = v
	}
	writeJSON(w, http.StatusOK, body)
}

// SequenceBody is the body of POST /v1/sequences/{name}.
type SequenceBody struct {
	AtLeast uint64 `json:"at_least"`
}

func (s *Server) advanceSequence(w http.ResponseWriter, r *http.Request) {
	var b SequenceBody
	if err := decodeBody(r, &b); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.WriteTimeout)
	defer cancel()
	if err := s.store.AdvanceSequence(ctx, r.PathValue("name"), b.AtLeast); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"name": r.PathValue("name"), "at_least": b.AtLeast})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if !s.store.Ready() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
