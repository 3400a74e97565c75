package main

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/go-mysql-org/go-mysql/mysql"
)

// transferResult is one run of the transfer workload.
type transferResult struct {
	commits   int64
	perSec    float64
	commitP50 float64 // ms, COMMIT statement alone
	commitP99 float64
	txnP50    float64 // ms, BEGIN .. COMMIT
	txnP99    float64
	errors    int64 // failed transactions (rolled back, not retried)
	err       error
}

// loadAccounts creates sbshard.accounts through the proxy (the DDL creates
// accounts_0 on A and accounts_1 on B) with n rows of balance 1000000.
func loadAccounts(addr string, n int) error {
	c, err := client.ConnectWithTimeout(addr, "app", "app", shardedDB, 10*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.Execute("CREATE TABLE accounts (id BIGINT PRIMARY KEY, balance BIGINT NOT NULL) ENGINE=InnoDB"); err != nil {
		return fmt.Errorf("create accounts: %w", err)
	}
	for start := 1; start <= n; start += 500 {
		var sb strings.Builder
		sb.WriteString("INSERT INTO accounts (id, balance) VALUES ")
		for id := start; id < start+500 && id <= n; id++ {
			if id > start {
				sb.WriteByte(',')
			}
			fmt.Fprintf(&sb, "(%d,1000000)", id)
		}
		if _, err := c.Execute(sb.String()); err != nil {
			return fmt.Errorf("load accounts: %w", err)
		}
	}
	return nil
}

// pickPair returns two distinct account ids in ascending order (a fixed lock
// order, so transfers cannot deadlock): cross puts one on each shard (one
// even, one odd id), otherwise both have the same, random parity.
func pickPair(r *rand.Rand, n int, cross bool) (int, int) {
	half := n / 2
	for {
		a := 2*r.IntN(half) + 2 // even: shard A
		b := 2*r.IntN(half) + 1 // odd: shard B
		if !cross {
			if r.IntN(2) == 0 {
				b = 2*r.IntN(half) + 2
			} else {
				a = 2*r.IntN(half) + 1
			}
		}
		if a == b {
			continue
		}
		if a > b {
			a, b = b, a
		}
		return a, b
	}
}

// runTransfer runs the transfer workload for d with the given workers.
func runTransfer(addr string, accounts, workers int, d time.Duration, cross bool) transferResult {
	var mu sync.Mutex
	var commitLat, txnLat []float64
	var res transferResult
	var wg sync.WaitGroup
	deadline := time.Now().Add(d)
	start := time.Now()
	for w := range workers {
		wg.Go(func() {
			c, err := client.ConnectWithTimeout(addr, "app", "app", shardedDB, 10*time.Second)
			if err != nil {
				mu.Lock()
				res.err = err
				mu.Unlock()
				return
			}
			defer c.Close()
			r := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			var cl, tl []float64
			var fails int64
			for time.Now().Before(deadline) {
				a, b := pickPair(r, accounts, cross)
				t0 := time.Now()
				commitDur, err := transferOnce(c, a, b)
				if err != nil {
					fails++
					_, _ = c.Execute("ROLLBACK")
					if !isRetryable(err) && fails > 100 {
						mu.Lock()
						res.err = err
						mu.Unlock()
						break
					}
					continue
				}
				tl = append(tl, float64(time.Since(t0).Microseconds())/1000)
				cl = append(cl, float64(commitDur.Microseconds())/1000)
			}
			mu.Lock()
			commitLat, txnLat = append(commitLat, cl...), append(txnLat, tl...)
			res.errors += fails
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	res.commits = int64(len(txnLat))
	res.perSec = float64(res.commits) / elapsed
	res.commitP50, res.commitP99 = percentiles(commitLat)
	res.txnP50, res.txnP99 = percentiles(txnLat)
	if res.commits == 0 && res.err == nil {
		res.err = errors.New("no transaction committed")
	}
	return res
}

// transferOnce: BEGIN; debit a; credit b; COMMIT. It returns COMMIT's latency.
func transferOnce(c *client.Conn, a, b int) (time.Duration, error) {
	stmts := []string{"BEGIN",
		fmt.Sprintf("UPDATE accounts SET balance = balance - 1 WHERE id = %d", a),
		fmt.Sprintf("UPDATE accounts SET balance = balance + 1 WHERE id = %d", b)}
	for _, q := range stmts {
		r, err := c.Execute(q)
		if err != nil {
			return 0, err
		}
		if q != "BEGIN" && r.AffectedRows != 1 {
			return 0, fmt.Errorf("%s: %d rows affected", q, r.AffectedRows)
		}
	}
	t0 := time.Now()
	if _, err := c.Execute("COMMIT"); err != nil {
		return 0, err
	}
	return time.Since(t0), nil
}

// isRetryable: deadlock or lock wait timeout.
func isRetryable(err error) bool {
	var me *mysql.MyError
	return errors.As(err, &me) && (me.Code == 1213 || me.Code == 1205)
}

// percentiles returns p50 and p99 of the samples.
func percentiles(v []float64) (float64, float64) {
	if len(v) == 0 {
		return 0, 0
	}
	sort.Float64s(v)
	at := func(q float64) float64 { return v[min(len(v)-1, int(q*float64(len(v))))] }
	return at(0.50), at(0.99)
}
