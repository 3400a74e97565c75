package metaraft

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/hashicorp/raft"
)

// tlsStream is raft's StreamLayer over mutual TLS: every node presents its
// certificate, and a connection whose peer has no certificate signed by the
// cluster's CA is refused, in both directions.
type tlsStream struct {
	net.Listener
	advertise net.Addr
	client    *tls.Config
}

// newTLSStream listens on bind with cfg (see Config.TLS).
func newTLSStream(bind string, cfg *tls.Config) (*tlsStream, error) {
	addr, err := net.ResolveTCPAddr("tcp", bind)
	if err != nil {
		return nil, err
	}
	if addr.IP == nil || addr.IP.IsUnspecified() {
		return nil, errors.New("metaraft: raft address must name the IP to advertise, not bind all addresses")
	}
	ln, err := net.Listen("tcp", bind)
	if err != nil {
		return nil, fmt.Errorf("metaraft: raft transport: %w", err)
	}
	srv := cfg.Clone()
	srv.ClientAuth = tls.RequireAndVerifyClientCert
	if srv.ClientCAs == nil {
		srv.ClientCAs = srv.RootCAs
	}
	return &tlsStream{Listener: tls.NewListener(ln, srv), advertise: addr, client: cfg.Clone()}, nil
}

// Dial connects to a peer and verifies its certificate for the host of
// address (an IP SAN for IP addresses).
func (s *tlsStream) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	cfg := s.client
	if cfg.ServerName == "" {
		host, _, err := net.SplitHostPort(string(address))
		if err != nil {
			return nil, err
		}
		cfg = cfg.Clone()
		cfg.ServerName = host
	}
	return tls.DialWithDialer(&net.Dialer{Timeout: timeout}, "tcp", string(address), cfg)
}

// Addr is the advertised address.
func (s *tlsStream) Addr() net.Addr { return s.advertise }
