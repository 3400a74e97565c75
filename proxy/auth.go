package proxy

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"sync"
	"time"
)

// credentials maps user names to password hashes.
type credentials struct {
	users map[string]credential
}

func newCredentials(users []User) (*credentials, error) {
	c := &credentials{users: make(map[string]credential, len(users))}
	for _, u := range users {
		cred, err := newCredential(u)
		if err != nil {
			return nil, err
		}
		c.users[u.Name] = cred
	}
	return c, nil
}

// serverTLS returns the TLS config clients may upgrade to: the configured
// one, the configured certificate files, or a self-signed certificate.
func serverTLS(cfg *Config) (*tls.Config, error) {
	switch {
	case cfg.TLS != nil:
		return cfg.TLS, nil
	case cfg.TLSCert != "" || cfg.TLSKey != "":
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("proxy.tls_cert/tls_key: %w", err)
		}
		return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
	}
	return selfSignedTLS()
}

var (
	selfSignedOnce sync.Once
	selfSigned     *tls.Config
	selfSignedErr  error
)

// selfSignedTLS returns a process-wide TLS config with a fresh self-signed
// RSA certificate. go-mysql decrypts caching_sha2_password's RSA-encrypted
// password with the TLS certificate's key, so a key is needed even when no
// certificate is configured.
func selfSignedTLS() (*tls.Config, error) {
	selfSignedOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			selfSignedErr = err
			return
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "shardline"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(10, 0, 0),
			KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
		if err != nil {
			selfSignedErr = err
			return
		}
		selfSigned = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: k}}, MinVersion: tls.VersionTLS12}
	})
	return selfSigned, selfSignedErr
}
