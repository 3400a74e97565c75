package proxy

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"time"
)

// credentials is the go-mysql CredentialProvider over the configured users.
type credentials struct {
	users map[string]string
}

func newCredentials(users []User) *credentials {
	c := &credentials{users: make(map[string]string, len(users))}
	for _, u := range users {
		c.users[u.Name] = u.Password
	}
	return c
}

func (c *credentials) CheckUsername(name string) (bool, error) {
	_, ok := c.users[name]
	return ok, nil
}

func (c *credentials) GetCredential(name string) (string, bool, error) {
	p, ok := c.users[name]
	return p, ok, nil
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

// publicKeyPEM returns the PEM of the RSA public key of the first certificate.
func publicKeyPEM(c *tls.Config) ([]byte, error) {
	if len(c.Certificates) == 0 {
		return nil, errors.New("tls: no certificate")
	}
	k, ok := c.Certificates[0].PrivateKey.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("tls: the certificate key must be RSA (caching_sha2_password needs it)")
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}
