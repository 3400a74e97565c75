package metaraft

import (
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// peerHealth is the leader's view of its peers: which of them fail
// heartbeats now. Raft reports a failed heartbeat on every attempt while a
// peer is down, and a resumed one when it answers again; GET /v1/cluster on
// the leader shows a failing peer as "unreachable" instead of "follower".
type peerHealth struct {
	mu      sync.Mutex
	failing map[raft.ServerID]time.Time // peer → time of the last failed heartbeat
}

// failingFor bounds how long a failure counts without a newer one: raft
// retries a failing peer at least every transport timeout (10 s), so an
// older mark means a resumed observation was missed.
const failingFor = 30 * time.Second

func (p *peerHealth) observe(o raft.Observation) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch x := o.Data.(type) {
	case raft.FailedHeartbeatObservation:
		if p.failing == nil {
			p.failing = map[raft.ServerID]time.Time{}
		}
		p.failing[x.PeerID] = time.Now()
	case raft.ResumedHeartbeatObservation:
		delete(p.failing, x.PeerID)
	case raft.LeaderObservation, raft.RaftState:
		clear(p.failing) // a new term: the old leader's view is stale
	}
}

func (p *peerHealth) isFailing(id raft.ServerID) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.failing[id]
	return ok && time.Since(t) < failingFor
}

// watchPeers feeds raft's heartbeat and leadership observations to n.peers
// until the node stops.
func (n *Node) watchPeers() {
	defer n.wg.Done()
	ch := make(chan raft.Observation, 64)
	obs := raft.NewObserver(ch, false, func(o *raft.Observation) bool {
		switch o.Data.(type) {
		case raft.FailedHeartbeatObservation, raft.ResumedHeartbeatObservation, raft.LeaderObservation, raft.RaftState:
			return true
		}
		return false
	})
	n.raft.RegisterObserver(obs)
	defer n.raft.DeregisterObserver(obs)
	for {
		select {
		case <-n.stop:
			return
		case o := <-ch:
			n.peers.observe(o)
		}
	}
}
