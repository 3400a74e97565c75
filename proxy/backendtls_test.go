package proxy_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shardline/shardline/internal/mariadbtest"
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
	ca, certs := writeTestCerts(t, dir)
	srv, err := mariadbtest.StartServer(mariadbtest.Options{Name: "tls", BaseDir: t.TempDir(), ExtraArgs: []string{
		"--ssl-ca=" + ca, "--ssl-cert=" + certs[0], "--ssl-key=" + certs[1]}})
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

// writeTestCerts writes a CA and a server certificate for 127.0.0.1;
// it returns the CA path and the server cert and key paths.
func writeTestCerts(t *testing.T, dir string) (string, [2]string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "shardline test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	write := func(name, typ string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return write("ca.pem", "CERTIFICATE", caDER), [2]string{write("cert.pem", "CERTIFICATE", der), write("key.pem", "EC PRIVATE KEY", keyDER)}
}
