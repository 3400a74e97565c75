package chaos

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"syscall"
	"time"
)

// fault is one kind of failure: start injects it, after hold end undoes it
// (restart, resume, heal). start returns the target's name.
type fault struct {
	name  string
	hold  time.Duration
	start func(c *cluster) (target string, undo func() error, err error)
}

// faultRecord is one injected fault and how the cluster recovered.
type faultRecord struct {
	name, target string
	at           time.Duration // since the workload began
	recovery     time.Duration // fault start → leader exists and a cross-shard transfer begun after the start is acknowledged
	healthy      time.Duration // fault start → undone, every node serving and agreeing on a leader
	leaderBefore string
	leaderAfter  string
	err          error
}

func pickFollower(c *cluster, leader *procNode) *procNode {
	var fs []*procNode
	for _, n := range c.nodes {
		if n != leader && n.live() {
			fs = append(fs, n)
		}
	}
	if len(fs) == 0 {
		return nil
	}
	return fs[rand.IntN(len(fs))]
}

// nodeTarget resolves "leader" or "follower" to a live node.
func nodeTarget(c *cluster, which string) (*procNode, error) {
	l, err := c.waitLeader(30 * time.Second)
	if err != nil {
		return nil, err
	}
	if which == "leader" {
		return l, nil
	}
	if f := pickFollower(c, l); f != nil {
		return f, nil
	}
	return nil, fmt.Errorf("no live follower")
}

// killNode: kill -9 of a proxy node (its Raft peer, coordinator and
// resolver die mid-flight), restarted after hold from the same data dir.
func killNode(which string, hold time.Duration) fault {
	return fault{name: "kill -9 " + which, hold: hold, start: func(c *cluster) (string, func() error, error) {
		n, err := nodeTarget(c, which)
		if err != nil {
			return "", nil, err
		}
		n.kill()
		return n.id, n.start, nil
	}}
}

// pauseNode: SIGSTOP of a proxy node for hold, then SIGCONT. Its sockets
// stay open: clients and peers see silence, not errors.
func pauseNode(which string, hold time.Duration) fault {
	return fault{name: "SIGSTOP " + which, hold: hold, start: func(c *cluster) (string, func() error, error) {
		n, err := nodeTarget(c, which)
		if err != nil {
			return "", nil, err
		}
		n.signal(syscall.SIGSTOP)
		return n.id, func() error { n.signal(syscall.SIGCONT); return nil }, nil
	}}
}

// restartShard: kill -9 of a MariaDB shard and a restart (prepared
// branches survive it; xa/DESIGN.md, fact 1).
func restartShard(i int) fault {
	return fault{name: fmt.Sprintf("kill -9 + restart shard s%d", i), start: func(c *cluster) (string, func() error, error) {
		if err := c.dbs[i].Kill(); err != nil {
			return "", nil, err
		}
		return fmt.Sprintf("s%d", i), c.dbs[i].Start, nil
	}}
}

// pauseShard: SIGSTOP of a MariaDB shard for hold, then SIGCONT: prepares
// and commits on it hang (PrepareTimeout, Phase2Timeout), its rows stay
// locked.
func pauseShard(i int, hold time.Duration) fault {
	return fault{name: fmt.Sprintf("SIGSTOP shard s%d", i), hold: hold, start: func(c *cluster) (string, func() error, error) {
		if err := c.dbs[i].Pause(); err != nil {
			return "", nil, err
		}
		return fmt.Sprintf("s%d", i), c.dbs[i].Resume, nil
	}}
}

// killAll: kill -9 of every proxy node at once, restarted together after
// hold: the decisions must survive in the Raft logs (fsync) and the new
// leader's resolver must finish every branch left prepared.
func killAll(hold time.Duration) fault {
	return fault{name: "kill -9 all proxy nodes", hold: hold, start: func(c *cluster) (string, func() error, error) {
		var wg sync.WaitGroup
		for _, n := range c.nodes {
			wg.Go(n.kill)
		}
		wg.Wait()
		return "all", func() error {
			var errs []error
			for _, n := range c.nodes {
				errs = append(errs, n.start())
			}
			return errors.Join(errs...)
		}, nil
	}}
}

// both injects two faults at once (e.g. the leader and a shard) and undoes
// them together.
func both(a, b fault) fault {
	return fault{name: a.name + " + " + b.name, hold: max(a.hold, b.hold), start: func(c *cluster) (string, func() error, error) {
		ta, undoA, err := a.start(c)
		if err != nil {
			return "", nil, err
		}
		tb, undoB, err := b.start(c)
		if err != nil {
			return ta, undoA, err
		}
		return ta + "+" + tb, func() error { return errors.Join(undoA(), undoB()) }, nil
	}}
}

// inject runs one fault against the running workload and measures recovery.
func (c *cluster) inject(f fault, b *bank, began time.Time, bound time.Duration) faultRecord {
	rec := faultRecord{name: f.name, at: time.Since(began).Round(100 * time.Millisecond)}
	if l := c.leader(); l != nil {
		rec.leaderBefore = l.id
	}
	t0 := time.Now()
	target, undo, err := f.start(c)
	rec.target = target
	if err != nil {
		if undo != nil {
			_ = undo()
		}
		rec.err = fmt.Errorf("inject: %w", err)
		return rec
	}
	recovered := make(chan time.Duration, 1)
	go func() { recovered <- c.measureRecovery(b, t0, bound) }()
	time.Sleep(f.hold)
	if err := undo(); err != nil {
		rec.err = fmt.Errorf("undo: %w", err)
	}
	rec.recovery = <-recovered
	if rec.recovery < 0 && rec.err == nil {
		rec.err = fmt.Errorf("no cross-shard transfer acknowledged within %v", bound)
	}
	if err := c.waitHealthy(bound); err != nil && rec.err == nil {
		rec.err = err
	}
	rec.healthy = time.Since(t0)
	if l := c.leader(); l != nil {
		rec.leaderAfter = l.id
	}
	return rec
}

// measureRecovery returns the time from t0 until a leader exists and a
// cross-shard transfer that began after t0 is acknowledged, or -1 after bound.
func (c *cluster) measureRecovery(b *bank, t0 time.Time, bound time.Duration) time.Duration {
	for time.Since(t0) < bound {
		if at := b.firstCrossShardAckAfter(t0); !at.IsZero() && c.leader() != nil {
			return at.Sub(t0)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return -1
}

// waitHealthy waits until every node runs, answers its admin API and agrees
// on one leader.
func (c *cluster) waitHealthy(within time.Duration) error {
	deadline := time.Now().Add(within)
	var last string
	for time.Now().Before(deadline) {
		leaders := map[string]bool{}
		ok := true
		for _, n := range c.nodes {
			ci, err := c.info(n)
			if err != nil || !n.live() || ci.Leader == "" {
				ok, last = false, fmt.Sprintf("%s: leader %q, err %v", n.id, ci.Leader, err)
				break
			}
			leaders[ci.Leader] = true
		}
		if ok && len(leaders) == 1 {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("cluster not healthy within %v (%s)", within, last)
}

func fmtDur(d time.Duration) string {
	if d < 0 {
		return "never"
	}
	return d.Round(10 * time.Millisecond).String()
}

// faultTable renders the injected faults.
func faultTable(recs []faultRecord) string {
	var s strings.Builder
	fmt.Fprintf(&s, "%-3s %-8s %-46s %-7s %-10s %-10s %-9s %s\n", "#", "at", "fault", "target", "recovery", "healthy", "leader", "error")
	for i, r := range recs {
		errs := ""
		if r.err != nil {
			errs = r.err.Error()
		}
		fmt.Fprintf(&s, "%-3d %-8s %-46s %-7s %-10s %-10s %-9s %s\n", i+1, r.at, r.name, r.target,
			fmtDur(r.recovery), fmtDur(r.healthy), r.leaderBefore+"→"+r.leaderAfter, errs)
	}
	return s.String()
}
