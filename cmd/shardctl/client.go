package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// setupClient builds the HTTP client: with --ca it trusts that CA (the
// cluster's, when the nodes run with cluster_tls).
func (g *globals) setupClient() error {
	g.client = &http.Client{Timeout: 30 * time.Second}
	if g.caFile == "" {
		return nil
	}
	pem, err := os.ReadFile(g.caFile)
	if err != nil {
		return fmt.Errorf("--ca: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return fmt.Errorf("--ca: no PEM certificate in %s", g.caFile)
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	g.client.Transport = t
	return nil
}

// call sends one request to the admin API and decodes a JSON reply into out
// (when not nil). A non-2xx reply becomes an error carrying the server's
// "error" message.
func (g *globals) call(method, path string, body, out any) error {
	req, err := g.newRequest(method, path, body)
	if err != nil {
		return err
	}
	resp, err := g.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			return fmt.Errorf("%s (HTTP %d)", e.Error, resp.StatusCode)
		}
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(data))
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return errors.Join(fmt.Errorf("unexpected reply from %s", g.addr), err)
	}
	return nil
}

// newRequest builds a request with the token, If-Match and a JSON body.
func (g *globals) newRequest(method, path string, body any) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(data)
	}
	base := g.addr
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	req, err := http.NewRequest(method, strings.TrimRight(base, "/")+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if g.token != "" {
		req.Header.Set("Authorization", "Bearer "+g.token)
	}
	if g.ifMatch != "" && method != http.MethodGet {
		req.Header.Set("If-Match", g.ifMatch)
	}
	return req, nil
}

// printJSON writes v as indented JSON.
func (g *globals) printJSON(v any) error {
	enc := json.NewEncoder(g.out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// versionReply is the reply of every shard-map write.
type versionReply struct {
	Version uint64 `json:"version"`
}

// write performs a shard-map write and prints the new version.
func (g *globals) write(method, path string, body any) error {
	var v versionReply
	if err := g.call(method, path, body, &v); err != nil {
		return err
	}
	if g.output == "json" {
		return g.printJSON(v)
	}
	_, err := fmt.Fprintf(g.out, "ok, shard map version %d\n", v.Version)
	return err
}
