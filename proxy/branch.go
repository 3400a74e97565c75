package proxy

import (
	"context"
	"sort"

	"github.com/go-mysql-org/go-mysql/mysql"
)

// branchConn is a backend connection handed to the XA coordinator or the
// resolver. It closes like a backend connection should: marked broken, so
// the pool never hands it out again (the coordinator closes a connection to
// detach a prepared branch it leaves to the resolver).
type branchConn struct{ bc *backendConn }

func (b branchConn) Execute(query string, args ...any) (*mysql.Result, error) {
	r, err := b.bc.Execute(query, args...)
	if isConnError(err) {
		b.bc.lostConn()
	}
	return r, err
}

func (b branchConn) Close() error {
	b.bc.markBroken()
	return b.bc.Conn.Close()
}

// ShardNames lists the shards of the current map, sorted.
func (s *Server) ShardNames() []string {
	m := s.deps.Map.ShardMap()
	names := make([]string, 0, len(m.Shards))
	for name := range m.Shards {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// BackendConn lends a pooled connection to shard (for the XA resolver);
// release gives it back.
func (s *Server) BackendConn(ctx context.Context, shard string) (BranchConn, func(), error) {
	p, err := s.pools.get(shard)
	if err != nil {
		return nil, nil, err
	}
	bc, err := p.get(ctx)
	if err != nil {
		return nil, nil, err
	}
	return branchConn{bc}, func() { p.put(bc) }, nil
}
