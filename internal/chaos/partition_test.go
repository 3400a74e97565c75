package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A Raft partition without netem (xa/DESIGN.md, fact 17): every node's Raft traffic
// goes through an in-test TCP fault proxy. The nodes bind their own Raft
// address, but the Raft configuration names the proxies' addresses
// (re-addressed through POST /v1/cluster/nodes after the cluster formed),
// so every Raft connection to node X passes X's proxy. Cutting X black-holes
// every proxied connection to X and every one X opened (its origin is found
// by matching the connection's client port to X's sockets in /proc): X
// neither hears nor is heard, but keeps running, and its MySQL and admin
// listeners stay reachable (a Raft-only partition).

// raftProxy is the set of fault proxies, one per node.
type raftProxy struct {
	mu    sync.Mutex
	cut   map[string]bool // node id → partitioned
	conns map[*proxyConn]bool
	lns   []net.Listener
	pids  func() map[int]string // pid → node id of the running nodes
	stats struct{ accepted, unidentified int }
}

// proxyConn is one proxied connection; dead ones only discard bytes (a
// stream that lost bytes cannot be resumed) until heal closes them.
type proxyConn struct {
	target, origin string
	client, server net.Conn
	dead           bool
}

func (p *raftProxy) listen(target *procNode) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	p.lns = append(p.lns, ln)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c, target)
		}
	}()
	return ln.Addr().String(), nil
}

func (p *raftProxy) serve(client net.Conn, target *procNode) {
	pc := &proxyConn{target: target.id, client: client}
	pc.origin = p.originOf(client)
	p.mu.Lock()
	p.stats.accepted++
	if pc.origin == "" {
		p.stats.unidentified++
	}
	pc.dead = p.cut[pc.target] || p.cut[pc.origin]
	p.conns[pc] = true
	p.mu.Unlock()
	var server net.Conn
	if !pc.dead {
		var err error
		server, err = net.DialTimeout("tcp", target.raftBind, 2*time.Second)
		if err != nil {
			p.drop(pc)
			return
		}
		p.mu.Lock()
		pc.server = server
		p.mu.Unlock()
		go p.pipe(pc, server, client)
	}
	p.pipe(pc, client, server)
}

// pipe copies from src to dst until either fails; bytes of a dead
// connection are discarded.
func (p *raftProxy) pipe(pc *proxyConn, src, dst net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			dead := pc.dead
			p.mu.Unlock()
			if !dead && dst != nil {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					err = werr
				}
			}
		}
		if err != nil {
			p.drop(pc)
			return
		}
	}
}

func (p *raftProxy) drop(pc *proxyConn) {
	p.mu.Lock()
	delete(p.conns, pc)
	server := pc.server
	p.mu.Unlock()
	pc.client.Close()
	if server != nil {
		server.Close()
	}
}

// setCut partitions (or heals) node id. Healing closes the dead connections
// so that Raft reconnects.
func (p *raftProxy) setCut(id string, on bool) {
	p.mu.Lock()
	p.cut[id] = on
	var closing []*proxyConn
	for pc := range p.conns {
		involved := pc.target == id || pc.origin == id
		if on && involved {
			pc.dead = true
		}
		if !on && pc.dead && !p.cut[pc.target] && !p.cut[pc.origin] {
			closing = append(closing, pc)
		}
	}
	p.mu.Unlock()
	for _, pc := range closing {
		p.drop(pc)
	}
}

func (p *raftProxy) close() {
	for _, ln := range p.lns {
		ln.Close()
	}
	p.mu.Lock()
	conns := p.conns
	p.conns = map[*proxyConn]bool{}
	p.mu.Unlock()
	for pc := range conns {
		p.drop(pc)
	}
}

// originOf names the node whose process owns the other end of c, or "".
func (p *raftProxy) originOf(c net.Conn) string {
	remote, ok1 := c.RemoteAddr().(*net.TCPAddr)
	local, ok2 := c.LocalAddr().(*net.TCPAddr)
	if !ok1 || !ok2 {
		return ""
	}
	inode := socketInode(remote.Port, local.Port)
	if inode == "" {
		return ""
	}
	want := "socket:[" + inode + "]"
	for pid, id := range p.pids() {
		dir := "/proc/" + strconv.Itoa(pid) + "/fd"
		ents, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range ents {
			if l, err := os.Readlink(dir + "/" + e.Name()); err == nil && l == want {
				return id
			}
		}
	}
	return ""
}

// socketInode finds in /proc/net/tcp the inode of the loopback socket with
// local port lport connected to remote port rport.
func socketInode(lport, rport int) string {
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return ""
	}
	l := fmt.Sprintf("0100007F:%04X", lport)
	r := fmt.Sprintf("0100007F:%04X", rport)
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 9 && f[1] == l && f[2] == r {
			return f[9]
		}
	}
	return ""
}

// enablePartitions starts a fault proxy per node and re-addresses every
// node in the Raft configuration to its proxy.
func (c *cluster) enablePartitions() {
	c.t.Helper()
	p := &raftProxy{cut: map[string]bool{}, conns: map[*proxyConn]bool{}}
	p.pids = func() map[int]string {
		m := map[int]string{}
		for _, n := range c.nodes {
			if pid := n.pid(); pid != 0 {
				m[pid] = n.id
			}
		}
		return m
	}
	c.t.Cleanup(p.close)
	for _, n := range c.nodes {
		addr, err := p.listen(n)
		if err != nil {
			c.t.Fatal(err)
		}
		n.raftAdvert = addr
	}
	c.proxy = p
	for _, n := range c.nodes {
		if err := c.readdress(n); err != nil {
			c.t.Fatalf("re-addressing %s to its Raft fault proxy: %v", n.id, err)
		}
	}
	// The leader keeps replicating over the pipelines it opened to the old
	// addresses (hashicorp/raft only updates the peer address for new
	// connections), which would bypass the proxies: restart it so that the
	// next leader opens every connection through them.
	if l, err := c.waitLeader(30 * time.Second); err != nil {
		c.t.Fatal(err)
	} else {
		l.kill()
		if err := l.start(); err != nil {
			c.t.Fatal(err)
		}
	}
	if err := c.waitHealthy(60 * time.Second); err != nil {
		c.t.Fatal(err)
	}
}

// readdress sets n's Raft address in the configuration to its proxy and
// waits until the leader lists it.
func (c *cluster) readdress(n *procNode) error {
	deadline := time.Now().Add(30 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		l := c.leader()
		if l == nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		body, _ := json.Marshal(map[string]string{"id": n.id, "raft_addr": n.raftAdvert, "admin_addr": n.admin, "mysql_addr": n.mysql})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+l.admin+"/v1/cluster/nodes", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+adminToken)
		resp, err := c.http.Do(req)
		cancel()
		if err == nil {
			msg, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("%s: %s", resp.Status, msg)
			}
		}
		if err == nil {
			if ci, ierr := c.info(l); ierr == nil {
				for _, m := range ci.Nodes {
					if m.ID == n.id && m.RaftAddr == n.raftAdvert {
						return nil
					}
				}
			}
		}
		last = err
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("not re-addressed within 30 s (last: %v)", last)
}

// partitionNode cuts a node's Raft traffic both ways for hold, then heals.
func partitionNode(which string, hold time.Duration) fault {
	return fault{name: "Raft partition of " + which, hold: hold, start: func(c *cluster) (string, func() error, error) {
		if c.proxy == nil {
			return "", nil, fmt.Errorf("partitions not enabled")
		}
		n, err := nodeTarget(c, which)
		if err != nil {
			return "", nil, err
		}
		c.proxy.setCut(n.id, true)
		return n.id, func() error { c.proxy.setCut(n.id, false); return nil }, nil
	}}
}
