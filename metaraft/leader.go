package metaraft

import (
	"context"
	"time"
)

// leaderLoop reacts to this node gaining or losing leadership. On gaining
// it runs a Barrier (everything of earlier terms applied here), publishes
// its own member info if the FSM lacks it, and from then on
// garbage-collects resolved decisions every GCInterval.
func (n *Node) leaderLoop() {
	defer n.wg.Done()
	var gc <-chan time.Time
	var ticker *time.Ticker
	defer func() {
		if ticker != nil {
			ticker.Stop()
		}
	}()
	for {
		select {
		case <-n.stop:
			return
		case isLeader := <-n.raft.LeaderCh():
			if ticker != nil {
				ticker.Stop()
				ticker, gc = nil, nil
			}
			if isLeader {
				n.onLeader()
				ticker = time.NewTicker(n.cfg.GCInterval)
				gc = ticker.C
			}
		case <-gc:
			n.collectDecisions()
		}
	}
}

func (n *Node) onLeader() {
	n.log.Info("metaraft: became leader")
	if err := n.raft.Barrier(n.cfg.ApplyTimeout).Error(); err != nil {
		n.log.Warn("metaraft: leader barrier failed", "err", err)
		return
	}
	self := n.selfMember()
	if m, ok := n.fsm.member(self.ID); !ok || m != self {
		ctx, cancel := context.WithTimeout(context.Background(), n.cfg.ApplyTimeout)
		defer cancel()
		if _, err := n.propose(ctx, command{cmdPutMember, putMemberCmd{Member: self}}); err != nil {
			n.log.Warn("metaraft: publish own member info", "err", err)
		}
	}
}

func (n *Node) selfMember() Member {
	return Member{ID: n.cfg.NodeID, RaftAddr: string(n.trans.LocalAddr()), AdminAddr: n.cfg.AdminAddr, MySQLAddr: n.cfg.MySQLAddr}
}

// collectDecisions proposes the GC of decisions resolved longer than
// DecisionRetention ago. The cut-off time travels in the command, so every
// node deletes the same decisions.
func (n *Node) collectDecisions() {
	ctx, cancel := context.WithTimeout(context.Background(), n.cfg.ApplyTimeout)
	defer cancel()
	before := time.Now().UTC().Add(-n.cfg.DecisionRetention)
	if !n.fsm.hasCollectable(before) {
		return
	}
	if _, err := n.propose(ctx, command{cmdGCDecisions, gcDecisionsCmd{Before: before}}); err != nil {
		n.log.Debug("metaraft: decision gc", "err", err)
	}
}

// refreshSelf republishes this node's member info once it has caught up,
// if the FSM holds none or different addresses (e.g. a restart with a new
// admin or MySQL address). The leader does the same in onLeader.
func (n *Node) refreshSelf() {
	defer n.wg.Done()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for !n.caughtUp() {
		select {
		case <-n.stop:
			return
		case <-t.C:
		}
	}
	self := n.selfMember()
	if m, ok := n.fsm.member(self.ID); ok && m == self {
		return
	}
	if _, ok := n.fsm.member(self.ID); !ok && !n.hasServer(n.cfg.NodeID) {
		return // joining: AddNode publishes the info
	}
	ctx, cancel := context.WithTimeout(context.Background(), n.cfg.ApplyTimeout)
	defer cancel()
	go func() {
		select {
		case <-n.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	if _, err := n.proposeIdempotent(ctx, command{cmdPutMember, putMemberCmd{Member: self}}); err != nil {
		n.log.Warn("metaraft: republish own member info", "err", err)
	}
}
