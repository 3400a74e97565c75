package metaraft

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/raft"
)

// ClusterInfo is the body of GET /v1/cluster.
type ClusterInfo struct {
	Self         string     `json:"self"`
	Leader       string     `json:"leader"`
	AppliedIndex uint64     `json:"applied_index"`
	Nodes        []NodeInfo `json:"nodes"`
}

// NodeInfo is one member as this node sees it. State is this node's own Raft
// state for itself, "leader" for the leader, "follower" for the others;
// asked on the leader, a member that fails its heartbeats is
// "unreachable" (a follower cannot tell; ClusterView asks the leader).
type NodeInfo struct {
	ID        string `json:"id"`
	RaftAddr  string `json:"raft_addr"`
	AdminAddr string `json:"admin_addr"`
	MySQLAddr string `json:"mysql_addr"`
	State     string `json:"state"`
	Voter     bool   `json:"voter"`
}

// maxVoters: a joining node is added as a voter while the cluster has fewer
// voters than this, else as a non-voter (a read replica of the metadata).
const maxVoters = 3

// IsLeader reports whether this node is the Raft leader now.
func (n *Node) IsLeader() bool { return n.raft.State() == raft.Leader }

// Leader returns the leader's node id, or "" when none is known.
func (n *Node) Leader() string {
	_, id := n.raft.LeaderWithID()
	return string(id)
}

// AppliedIndex is the index of the last log entry this node has applied
// (raft's view: it includes no-op, barrier and configuration entries,
// which the FSM never sees).
func (n *Node) AppliedIndex() uint64 { return n.raft.AppliedIndex() }

// Barrier waits until every entry committed before the call is applied on
// the leader. Leader only (ErrNotLeader otherwise).
func (n *Node) Barrier(ctx context.Context) error {
	timeout := n.cfg.ApplyTimeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl)
	}
	if err := n.raft.Barrier(timeout).Error(); err != nil {
		return raftError(err)
	}
	return nil
}

// Cluster returns the membership as this node sees it.
func (n *Node) Cluster() ClusterInfo {
	info := ClusterInfo{Self: n.cfg.NodeID, Leader: n.Leader(), AppliedIndex: n.AppliedIndex()}
	f := n.raft.GetConfiguration()
	if f.Error() != nil {
		return info
	}
	for _, s := range f.Configuration().Servers {
		m, _ := n.fsm.member(string(s.ID))
		ni := NodeInfo{ID: string(s.ID), RaftAddr: string(s.Address), AdminAddr: m.AdminAddr,
			MySQLAddr: m.MySQLAddr, State: "follower", Voter: s.Suffrage == raft.Voter}
		switch {
		case ni.ID == n.cfg.NodeID:
			ni.State = strings.ToLower(n.raft.State().String())
		case ni.ID == info.Leader:
			ni.State = "leader"
		case n.IsLeader() && n.peers.isFailing(s.ID):
			ni.State = "unreachable"
		}
		info.Nodes = append(info.Nodes, ni)
	}
	return info
}

// ClusterView is Cluster with the members' states as the leader sees them:
// a follower asks the leader (only the leader knows which nodes fail
// heartbeats) and keeps its own view when the leader does not answer
// within a second.
func (n *Node) ClusterView(ctx context.Context) ClusterInfo {
	local := n.Cluster()
	if n.IsLeader() || local.Leader == "" {
		return local
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	var resp clusterResponse
	if err := n.post(ctx, "/internal/cluster", struct{}{}, &resp); err != nil || resp.Error != nil {
		return local
	}
	states := make(map[string]string, len(resp.Info.Nodes))
	for _, ni := range resp.Info.Nodes {
		states[ni.ID] = ni.State
	}
	for i, ni := range local.Nodes {
		if st, ok := states[ni.ID]; ok && ni.ID != n.cfg.NodeID {
			local.Nodes[i].State = st
		}
	}
	return local
}

type clusterResponse struct {
	Info  ClusterInfo `json:"info"`
	Error *wireError  `json:"error,omitempty"`
}

func (n *Node) handleCluster(w http.ResponseWriter, r *http.Request) {
	if !n.IsLeader() {
		writeJSON(w, http.StatusOK, clusterResponse{Error: toWire(ErrNotLeader)})
		return
	}
	writeJSON(w, http.StatusOK, clusterResponse{Info: n.Cluster()})
}

// AddNode adds a node to the cluster (voter while there are fewer than 3
// voters, else non-voter) and records its addresses. Idempotent for a node
// already in the configuration. Forwarded to the leader from a follower.
func (n *Node) AddNode(ctx context.Context, id, raftAddr, adminAddr, mysqlAddr string) error {
	m := Member{ID: id, RaftAddr: raftAddr, AdminAddr: adminAddr, MySQLAddr: mysqlAddr}
	if id == "" || raftAddr == "" || adminAddr == "" {
		return fmt.Errorf("%w: id, raft_addr and admin_addr are required", ErrInvalid)
	}
	return n.onLeaderOrForward(ctx, "/internal/add-node", m, func() error { return n.addNodeLocal(ctx, m) })
}

func (n *Node) addNodeLocal(ctx context.Context, m Member) error {
	if _, err := n.proposeIdempotent(ctx, command{cmdPutMember, putMemberCmd{Member: m}}); err != nil {
		return err
	}
	f := n.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return raftError(err)
	}
	voters := 0
	for _, s := range f.Configuration().Servers {
		if s.ID == raft.ServerID(m.ID) && s.Address == raft.ServerAddress(m.RaftAddr) {
			return nil
		}
		if s.Suffrage == raft.Voter {
			voters++
		}
	}
	add := n.raft.AddNonvoter
	if voters < maxVoters {
		add = n.raft.AddVoter
	}
	if err := add(raft.ServerID(m.ID), raft.ServerAddress(m.RaftAddr), 0, n.cfg.ApplyTimeout).Error(); err != nil {
		return raftError(err)
	}
	n.log.Info("metaraft: node added", "id", m.ID, "raft_addr", m.RaftAddr, "voter", voters < maxVoters)
	return nil
}

// RemoveNode removes a node from the Raft configuration and forgets its
// addresses; if that leaves fewer than 3 voters, a non-voter (the first by
// id) is promoted. Removing the leader itself makes it step down. Forwarded
// to the leader from a follower.
func (n *Node) RemoveNode(ctx context.Context, id string) error {
	if id == "" {
		return fmt.Errorf("%w: node id is required", ErrInvalid)
	}
	return n.onLeaderOrForward(ctx, "/internal/remove-node", Member{ID: id}, func() error {
		return n.removeNodeLocal(ctx, id)
	})
}

func (n *Node) removeNodeLocal(ctx context.Context, id string) error {
	if _, known := n.fsm.member(id); !known && !n.hasServer(id) {
		return fmt.Errorf("%w: node %q", ErrNotFound, id)
	}
	if _, err := n.proposeIdempotent(ctx, command{cmdDeleteMember, deleteMemberCmd{ID: id}}); err != nil {
		return err
	}
	if err := n.raft.RemoveServer(raft.ServerID(id), 0, n.cfg.ApplyTimeout).Error(); err != nil {
		return raftError(err)
	}
	n.log.Info("metaraft: node removed", "id", id)
	if id == n.cfg.NodeID {
		return nil
	}
	return n.promoteNonvoter()
}

// hasServer reports whether id is in the Raft configuration.
func (n *Node) hasServer(id string) bool {
	f := n.raft.GetConfiguration()
	if f.Error() != nil {
		return false
	}
	for _, s := range f.Configuration().Servers {
		if string(s.ID) == id {
			return true
		}
	}
	return false
}

// promoteNonvoter makes the first non-voter (by id) a voter while there are
// fewer than maxVoters voters.
func (n *Node) promoteNonvoter() error {
	f := n.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return raftError(err)
	}
	voters := 0
	var candidate *raft.Server
	for _, s := range f.Configuration().Servers {
		if s.Suffrage == raft.Voter {
			voters++
		} else if candidate == nil || s.ID < candidate.ID {
			candidate = &s
		}
	}
	if voters >= maxVoters || candidate == nil {
		return nil
	}
	if err := n.raft.AddVoter(candidate.ID, candidate.Address, 0, n.cfg.ApplyTimeout).Error(); err != nil {
		return raftError(err)
	}
	n.log.Info("metaraft: non-voter promoted", "id", candidate.ID)
	return nil
}

// onLeaderOrForward runs local on the leader or posts req to path on the
// leader, retrying while there is no leader or it changes.
func (n *Node) onLeaderOrForward(ctx context.Context, path string, req any, local func() error) error {
	ctx, cancel := n.withTimeout(ctx)
	defer cancel()
	for {
		var err error
		if n.IsLeader() {
			err = local()
		} else {
			var resp simpleResponse
			if err = n.post(ctx, path, req, &resp); err == nil {
				err = fromWire(resp.Error)
			}
		}
		if err == nil || !retryable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (gave up: %v)", err, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (n *Node) handleAddNode(w http.ResponseWriter, r *http.Request) {
	n.handleMember(w, r, n.addNodeLocal)
}

func (n *Node) handleRemoveNode(w http.ResponseWriter, r *http.Request) {
	n.handleMember(w, r, func(ctx context.Context, m Member) error { return n.removeNodeLocal(ctx, m.ID) })
}

func (n *Node) handleMember(w http.ResponseWriter, r *http.Request, do func(context.Context, Member) error) {
	var m Member
	if err := readJSON(r, &m); err != nil {
		writeJSON(w, http.StatusBadRequest, simpleResponse{Error: toWire(err)})
		return
	}
	if !n.IsLeader() {
		writeJSON(w, http.StatusOK, simpleResponse{Error: toWire(ErrNotLeader)})
		return
	}
	writeJSON(w, http.StatusOK, simpleResponse{Error: toWire(do(r.Context(), m))})
}

// join asks the members in cfg.Join to add this node, until one accepts or
// JoinTimeout passes.
func (n *Node) join() error {
	ctx, cancel := context.WithTimeout(context.Background(), n.cfg.JoinTimeout)
	defer cancel()
	self := n.selfMember()
	var last error
	for {
		for _, addr := range n.cfg.Join {
			var resp struct {
				Error any `json:"error"`
			}
			err := postJSON(ctx, n.client, n.adminURL(addr), "/v1/cluster/nodes", n.cfg.Token, self, &resp)
			if err == nil && resp.Error != nil {
				err = fmt.Errorf("metaraft: join via %s: %v", addr, resp.Error)
			}
			if err == nil {
				n.log.Info("metaraft: joined", "via", addr)
				return nil
			}
			last = err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("metaraft: join %v: %w", n.cfg.Join, errors.Join(last, ctx.Err()))
		case <-n.stop:
			return ErrClosed
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Stats is a snapshot of Raft and FSM gauges for /metrics.
type Stats struct {
	State        string // leader, follower, candidate, shutdown
	Term         uint64
	LastLogIndex uint64
	CommitIndex  uint64
	AppliedIndex uint64
	MapVersion   uint64
	// LastContact is the time since the leader was last heard from (0 on
	// the leader; -1 if never).
	LastContact time.Duration
	Voters      int
	Nonvoters   int
	Unresolved  int
	HasLeader   bool
}

// Stats returns the current gauges.
func (n *Node) Stats() Stats {
	s := Stats{
		State:        strings.ToLower(n.raft.State().String()),
		LastLogIndex: n.raft.LastIndex(),
		CommitIndex:  n.raft.CommitIndex(),
		AppliedIndex: n.AppliedIndex(),
		MapVersion:   n.ShardMap().Version,
		HasLeader:    n.Leader() != "",
		Unresolved:   n.fsm.unresolved(),
	}
	s.Term, _ = strconv.ParseUint(n.raft.Stats()["term"], 10, 64)
	switch lc := n.raft.LastContact(); {
	case n.IsLeader():
	case lc.IsZero():
		s.LastContact = -1
	default:
		s.LastContact = time.Since(lc)
	}
	if f := n.raft.GetConfiguration(); f.Error() == nil {
		for _, srv := range f.Configuration().Servers {
			if srv.Suffrage == raft.Voter {
				s.Voters++
			} else {
				s.Nonvoters++
			}
		}
	}
	return s
}

// Ready reports whether the node has a leader whose admin address it knows
// (so it can forward writes) and has applied at least everything that was
// in its log at Open (and anything at all): i.e. it serves a current shard
// map and accepts writes. Used by /readyz. A fresh leader publishes its
// addresses in its first log entry after the election; until that entry is
// applied, a write sent here could not be forwarded.
func (n *Node) Ready() bool {
	if !n.caughtUp() {
		return false
	}
	_, err := n.leaderAdmin()
	return err == nil
}

// caughtUp reports whether the node has a leader and has applied everything
// that was in its log at Open (and anything at all).
func (n *Node) caughtUp() bool {
	applied := n.raft.AppliedIndex()
	return n.Leader() != "" && applied > 0 && applied >= n.startAt
}
