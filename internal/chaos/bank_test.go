package chaos

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

const (
	numAccounts    = 20
	initialBalance = 1000
	totalBalance   = numAccounts * initialBalance
)

// status of one transfer as its client saw it.
type status int

const (
	acked   status = iota // COMMIT returned OK
	unknown               // COMMIT answered 1180 or the connection broke during it
	failed                // never committed: an error before COMMIT, or COMMIT reported a rollback
)

type transfer struct {
	id, src, dst, amount int64
	st                   status
	began, ended         time.Time
	err                  error
	commitSent           bool // COMMIT was sent (errors before it mean never committed)
}

// crossShard reports whether the transfer's two accounts live on different
// shards (mod 2), so that it needed two-phase commit.
func (tr *transfer) crossShard() bool { return tr.src%2 != tr.dst%2 }

// bank is the workload: writers doing transfers, one reader checking the
// total with locking reads, and the record of every transfer.
type bank struct {
	t   testing.TB
	c   *cluster
	dbs []*sql.DB // one pool per node (statements with interpolated arguments)
	ps  []*sql.DB // one pool per node using server-side prepared statements

	mu        sync.Mutex
	transfers []*transfer
	fractured []string // locking reads that saw a wrong total (must stay empty)

	reads, readErrs atomic.Int64
	shareMode       atomic.Bool // LOCK IN SHARE MODE failed: read FOR UPDATE
	seq             atomic.Int64
}

func newBank(t testing.TB, c *cluster) *bank {
	b := &bank{t: t, c: c}
	for _, n := range c.nodes {
		for _, dsn := range []string{n.dsn(), strings.Replace(n.dsn(), "&interpolateParams=true", "", 1)} {
			db, err := sql.Open("mysql", dsn)
			if err != nil {
				t.Fatal(err)
			}
			db.SetMaxIdleConns(8)
			db.SetConnMaxLifetime(time.Minute)
			if strings.Contains(dsn, "interpolateParams") {
				b.dbs = append(b.dbs, db)
			} else {
				b.ps = append(b.ps, db)
			}
		}
	}
	t.Cleanup(func() {
		for _, db := range append(b.dbs, b.ps...) {
			db.Close()
		}
	})
	return b
}

// setup creates the tables through the proxy (DDL fans out to the
// partitions) and inserts the accounts.
func (b *bank) setup() {
	b.t.Helper()
	db := b.dbs[0]
	for _, q := range []string{
		"CREATE TABLE accounts (id BIGINT PRIMARY KEY, balance BIGINT NOT NULL) ENGINE=InnoDB",
		"CREATE TABLE transfers (id BIGINT PRIMARY KEY, src BIGINT NOT NULL, dst BIGINT NOT NULL, amount BIGINT NOT NULL) ENGINE=InnoDB",
	} {
		if _, err := db.Exec(q); err != nil {
			b.t.Fatalf("%s: %v", q, err)
		}
	}
	for i := range numAccounts {
		if _, err := db.Exec("INSERT INTO accounts (id, balance) VALUES (?, ?)", i, initialBalance); err != nil {
			b.t.Fatalf("insert account %d: %v", i, err)
		}
	}
}

// run starts writers and the reader until ctx ends and waits for them.
func (b *bank) run(ctx context.Context, writers int) {
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() { b.writer(ctx, w) })
	}
	wg.Go(func() { b.reader(ctx) })
	wg.Wait()
}

func (b *bank) writer(ctx context.Context, w int) {
	rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
	db := b.dbs[w%len(b.dbs)]
	if w%2 == 1 { // half the writers use COM_STMT_PREPARE/EXECUTE through the proxy
		db = b.ps[w%len(b.ps)]
	}
	for ctx.Err() == nil {
		src := rng.Int64N(numAccounts)
		dst := rng.Int64N(numAccounts - 1)
		if dst >= src {
			dst++
		}
		if rng.IntN(5) != 0 && src%2 == dst%2 { // mostly cross-shard
			dst = (dst + 1) % numAccounts
			if dst == src {
				dst = (dst + 2) % numAccounts
			}
		}
		tr := &transfer{id: b.seq.Add(1), src: src, dst: dst, amount: 1 + rng.Int64N(10), began: time.Now()}
		tr.st, tr.err = b.transfer(db, tr)
		tr.ended = time.Now()
		b.mu.Lock()
		b.transfers = append(b.transfers, tr)
		b.mu.Unlock()
		if tr.st != acked {
			time.Sleep(50 * time.Millisecond) // do not spin on a dead node
		}
	}
}

// transfer moves tr.amount from src to dst: lock both rows (lower id
// first, so transfers never deadlock), write absolute new balances (a lost
// update would change the total) and the marker row, commit.
func (b *bank) transfer(db *sql.DB, tr *transfer) (status, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return failed, err
	}
	bal := map[int64]int64{}
	for _, id := range lockOrder(tr.src, tr.dst) {
		var v int64
		if err := tx.QueryRow("SELECT balance FROM accounts WHERE id = ? FOR UPDATE", id).Scan(&v); err != nil {
			_ = tx.Rollback()
			return failed, fmt.Errorf("lock %d: %w", id, err)
		}
		bal[id] = v
	}
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{"UPDATE accounts SET balance = ? WHERE id = ?", []any{bal[tr.src] - tr.amount, tr.src}},
		{"UPDATE accounts SET balance = ? WHERE id = ?", []any{bal[tr.dst] + tr.amount, tr.dst}},
		{"INSERT INTO transfers (id, src, dst, amount) VALUES (?, ?, ?, ?)", []any{tr.id, tr.src, tr.dst, tr.amount}},
	} {
		if _, err := tx.Exec(q.sql, q.args...); err != nil {
			_ = tx.Rollback()
			return failed, err
		}
	}
	tr.commitSent = true
	err = tx.Commit()
	return classifyCommit(err), err
}

// lockOrder: the account on shard s0 (even id) before the one on s1, and
// the lower id first on one shard. The reader locks s0 rows before s1 rows
// too, so no lock cycle spans the two shards (neither MariaDB could detect
// it; it would last innodb_lock_wait_timeout).
func lockOrder(a, b int64) []int64 {
	if a%2 != b%2 {
		if a%2 == 0 {
			return []int64{a, b}
		}
		return []int64{b, a}
	}
	return []int64{min(a, b), max(a, b)}
}

// classifyCommit: nil is acknowledged; 1180 (outcome unknown), a lost
// connection (2006/2013) or a driver error without a server answer leave
// the outcome unknown; any other server error is a reported rollback.
func classifyCommit(err error) status {
	if err == nil {
		return acked
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) && me.Number != 1180 && me.Number != 2006 && me.Number != 2013 {
		return failed
	}
	return unknown
}

// reader sums every balance with a locking read in a transaction, on each
// node in turn: locking reads must see a consistent state (xa/DESIGN.md, fact 10).
func (b *bank) reader(ctx context.Context) {
	for i := 0; ctx.Err() == nil; i++ {
		sum, n, err := lockedTotal(b.dbs[i%len(b.dbs)], b.lockClause())
		if isSyntaxError(err) && b.shareMode.CompareAndSwap(false, true) {
			b.t.Logf("reader: LOCK IN SHARE MODE rejected through the proxy (%v); reading FOR UPDATE instead", err)
			continue
		}
		b.reads.Add(1)
		switch {
		case err != nil:
			b.readErrs.Add(1)
		case sum != totalBalance || n != numAccounts:
			b.mu.Lock()
			b.fractured = append(b.fractured, fmt.Sprintf("%s: %d rows, total %d", time.Now().Format("15:04:05.000"), n, sum))
			b.mu.Unlock()
		}
		select {
		case <-ctx.Done():
		case <-time.After(300 * time.Millisecond):
		}
	}
}

// lockClause is LOCK IN SHARE MODE, or FOR UPDATE once the proxy rejected
// the shared form.
func (b *bank) lockClause() string {
	if b.shareMode.Load() {
		return "FOR UPDATE"
	}
	return "LOCK IN SHARE MODE"
}

func isSyntaxError(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && me.Number == 1064
}

// lockedTotal reads all balances with a locking read (lock is LOCK IN
// SHARE MODE or FOR UPDATE) inside a transaction.
func lockedTotal(db *sql.DB, lock string) (sum int64, n int, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, err
	}
	defer func() { _ = tx.Rollback() }()
	for shard := range 2 { // s0's rows first: see lockOrder
		var ids []string
		for id := shard; id < numAccounts; id += 2 {
			ids = append(ids, fmt.Sprint(id))
		}
		s, k, err := sumRows(tx, "SELECT id, balance FROM accounts WHERE id IN ("+strings.Join(ids, ",")+") "+lock)
		if err != nil {
			return 0, 0, err
		}
		sum, n = sum+s, n+k
	}
	return sum, n, tx.Commit()
}

func sumRows(tx *sql.Tx, q string) (sum int64, n int, err error) {
	rows, err := tx.Query(q)
	if err != nil {
		return 0, 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, v int64
		if err := rows.Scan(&id, &v); err != nil {
			return 0, 0, err
		}
		sum += v
		n++
	}
	return sum, n, rows.Err()
}

// counts returns the transfers by status.
func (b *bank) counts() (total, ok, unk, fail int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, tr := range b.transfers {
		switch tr.st {
		case acked:
			ok++
		case unknown:
			unk++
		default:
			fail++
		}
	}
	return len(b.transfers), ok, unk, fail
}

// errorSummary counts the errors of transfers that were not acknowledged,
// by status and message (numbers and ids blanked), most frequent first.
func (b *bank) errorSummary(top int) []string {
	b.mu.Lock()
	counts := map[string]int{}
	for _, tr := range b.transfers {
		if tr.err != nil {
			counts[[]string{"acked", "unknown", "failed"}[tr.st]+": "+normalizeErr(tr.err)]++
		}
	}
	b.mu.Unlock()
	var keys []string
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return counts[keys[i]] > counts[keys[j]] })
	var out []string
	for i, k := range keys {
		if i == top {
			break
		}
		out = append(out, fmt.Sprintf("%5d  %s", counts[k], k))
	}
	return out
}

// commitErrors counts COMMIT answers by MySQL error code (0: no server
// answer), and how many rollbacks say the resolver's ABORT won the race
// (a coordinator that resumed after its branches were aborted).
func (b *bank) commitErrors() (byCode map[uint16]int, resolverAborts int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	byCode = map[uint16]int{}
	for _, tr := range b.transfers {
		if tr.err == nil || !tr.commitSent {
			continue
		}
		var me *mysql.MySQLError
		code := uint16(0)
		if errors.As(tr.err, &me) {
			code = me.Number
		}
		byCode[code]++
		if strings.Contains(tr.err.Error(), "recorded ABORT") {
			resolverAborts++
		}
	}
	return byCode, resolverAborts
}

var digits = regexp.MustCompile(`[0-9a-f]{6,}|\d+(\.\d+)?`)

func normalizeErr(err error) string {
	s := err.Error()
	if len(s) > 150 {
		s = s[:150]
	}
	return digits.ReplaceAllStringFunc(s, func(m string) string {
		if len(m) <= 4 && !strings.Contains(m, ".") {
			return m // keep error codes
		}
		return "N"
	})
}

// firstCrossShardAckAfter returns when the first cross-shard transfer that
// began at or after t was acknowledged, or the zero time.
func (b *bank) firstCrossShardAckAfter(t time.Time) time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	var first time.Time
	for _, tr := range b.transfers {
		if tr.st == acked && tr.crossShard() && !tr.began.Before(t) && (first.IsZero() || tr.ended.Before(first)) {
			first = tr.ended
		}
	}
	return first
}

// groundTruth reads balances and transfer markers directly from the shards.
func (b *bank) groundTruth() (map[int64]int64, map[int64][3]int64, error) {
	bal := map[int64]int64{}
	markers := map[int64][3]int64{}
	for i, s := range b.c.dbs {
		db := openDirect(b.t, s, "bank")
		err := func() error {
			defer db.Close()
			rows, err := db.Query(fmt.Sprintf("SELECT id, balance FROM accounts_%d", i))
			if err != nil {
				return err
			}
			for rows.Next() {
				var id, v int64
				if err := rows.Scan(&id, &v); err != nil {
					return err
				}
				bal[id] = v
			}
			rows.Close()
			rows, err = db.Query(fmt.Sprintf("SELECT id, src, dst, amount FROM transfers_%d", i))
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var id, src, dst, amt int64
				if err := rows.Scan(&id, &src, &dst, &amt); err != nil {
					return err
				}
				markers[id] = [3]int64{src, dst, amt}
			}
			return rows.Err()
		}()
		if err != nil {
			return nil, nil, fmt.Errorf("shard s%d: %w", i, err)
		}
	}
	return bal, markers, nil
}

// checkResult is what the final check found; every slice must be empty.
type checkResult struct {
	total                 int64
	lostAcked             []int64 // acknowledged, marker missing
	committedFailed       []int64 // reported failed (no COMMIT or rollback), marker present
	phantom               []int64 // marker of a transfer nobody attempted
	unknownIn, unknownOut int     // unknown outcome: committed / rolled back
	badAccounts           []string
	fractured             []string
	invariants            []string
}

func (r *checkResult) ok() bool {
	return r.total == totalBalance && len(r.lostAcked) == 0 && len(r.committedFailed) == 0 &&
		len(r.phantom) == 0 && len(r.badAccounts) == 0 && len(r.fractured) == 0
}

// check compares the shards' ground truth with the client record: the
// total is unchanged; every acknowledged transfer's marker exists; no
// failed transfer's marker exists; every account's balance is its initial
// balance plus the transfers whose marker exists (so an unknown-outcome
// transfer is all there or not at all).
func (b *bank) check() (*checkResult, error) {
	bal, markers, err := b.groundTruth()
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	r := &checkResult{fractured: append([]string(nil), b.fractured...)}
	for _, v := range bal {
		r.total += v
	}
	want := map[int64]int64{}
	for id := range int64(numAccounts) {
		want[id] = initialBalance
	}
	known := map[int64]bool{}
	for _, tr := range b.transfers {
		known[tr.id] = true
		_, present := markers[tr.id]
		switch {
		case tr.st == acked && !present:
			r.lostAcked = append(r.lostAcked, tr.id)
		case tr.st == failed && present:
			r.committedFailed = append(r.committedFailed, tr.id)
		case tr.st == unknown && present:
			r.unknownIn++
		case tr.st == unknown:
			r.unknownOut++
		}
	}
	for id, m := range markers {
		if !known[id] {
			r.phantom = append(r.phantom, id)
		}
		want[m[0]] -= m[2]
		want[m[1]] += m[2]
	}
	for id := range int64(numAccounts) {
		if bal[id] != want[id] {
			r.badAccounts = append(r.badAccounts, fmt.Sprintf("account %d: balance %d, transfers say %d", id, bal[id], want[id]))
		}
	}
	sort.Slice(r.lostAcked, func(i, j int) bool { return r.lostAcked[i] < r.lostAcked[j] })
	r.invariants = []string{
		"total unchanged (shards read directly)",
		"every acknowledged transfer's marker present",
		"no failed transfer's marker present",
		"no marker of an unattempted transfer",
		"each balance = initial + its transfers' markers (unknown ones all-or-nothing)",
		"locking reads during the run all saw the total",
		"no Shardline XID in XA RECOVER after recovery",
		"every decision marked resolved after recovery",
	}
	return r, nil
}

func (r *checkResult) String() string {
	var s strings.Builder
	fmt.Fprintf(&s, "total %d (want %d); unknown outcomes: %d committed, %d rolled back\n", r.total, totalBalance, r.unknownIn, r.unknownOut)
	fmt.Fprintf(&s, "lost acknowledged: %v\ncommitted although failed: %v\nphantom markers: %v\n", r.lostAcked, r.committedFailed, r.phantom)
	fmt.Fprintf(&s, "accounts off: %v\nfractured locking reads: %v", r.badAccounts, r.fractured)
	return s.String()
}
