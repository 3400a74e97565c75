package proxy_test

import (
	"database/sql"
	"testing"

	"github.com/shardline/shardline/internal/mariadbtest"
	"github.com/shardline/shardline/internal/tlstest"
	"github.com/shardline/shardline/router"
)

// TestBackendTLS runs a shard with a certificate from a test CA and an
// account that requires TLS (REQUIRE SSL): the proxy reaches it with tls:
// verify and the CA file, and the backend session is encrypted; without TLS
// the shard refuses the proxy, which reports it naming the shard. If it fails,
// traffic to the shards crosses the network in clear text.
func TestBackendTLS(t *testing.T) {
	mariadbtest.Require(t)
	dir := t.TempDir()
	files := tlstest.WriteCerts(t, dir)
	ca := files.CA
	srv, err := mariadbtest.StartServer(mariadbtest.Options{Name: "tls", BaseDir: t.TempDir(), ExtraArgs: []string{
		"--ssl-ca=" + ca, "--ssl-cert=" + files.Cert, "--ssl-key=" + files.Key}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Kill() })
	root, err := sql.Open("mysql", srv.DSN(""))
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	mustExec(t, root, "CREATE USER 'tlsonly'@'127.0.0.1' REQUIRE SSL")
	mustExec(t, root, "GRANT ALL ON *.* TO 'tlsonly'@'127.0.0.1'")
	servers := []*mariadbtest.Server{srv}
	mk := func(mode, caFile string) func([]*mariadbtest.Server) *router.ShardMap {
		return func(s []*mariadbtest.Server) *router.ShardMap {
			m := &router.ShardMap{Shards: map[string]*router.Shard{
				"s0": {Addr: servers[0].Addr(), User: "tlsonly", TLS: mode, TLSCA: caFile}},
				Schemas: map[string]*router.Schema{"mysql": {DefaultShard: "s0"}}}
			return m
		}
	}
	e := startEnvOver(t, servers, mk(router.TLSVerify, ca))
	db := e.dbOn("mysql")
	var name, cipher string
	if err := db.QueryRow("SHOW SESSION STATUS LIKE 'Ssl_cipher'").Scan(&name, &cipher); err != nil {
		t.Fatal(err)
	}
	if cipher == "" {
		t.Fatal("the backend session is not encrypted")
	}
	t.Logf("backend cipher: %s", cipher)

	plain := startEnvOver(t, servers, mk("", ""))
	var one int
	err = plain.dbOn("mysql").QueryRow("SELECT 1").Scan(&one)
	mysqlErr(t, err, 1429, "")
}
