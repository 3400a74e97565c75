package proxy_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
)

// TestKill: KILL QUERY <id> (what the mysql CLI sends on Ctrl-C, with the id
// from the handshake) interrupts the session's running statement on its
// backend, the session stays usable; KILL CONNECTION closes it; unknown ids
// get 1094; CONNECTION_ID() answers the id KILL takes (the handshake's),
// not the backend connection's. If it fails, Ctrl-C does nothing, (worse)
// KILL reaches another client's backend thread, or an application that
// kills by CONNECTION_ID() kills the wrong session.
func TestKill(t *testing.T) {
	e := startEnv(t, 1, passThroughMap, nil)
	victim, err := client.Connect(e.addr, "app", "app", "app")
	if err != nil {
		t.Fatal(err)
	}
	defer victim.Close()
	for q, col := range map[string]string{"SELECT CONNECTION_ID()": "CONNECTION_ID()", "SELECT connection_id() AS id, 1 FROM dual": "id"} {
		r, err := victim.Execute(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		id, _ := r.GetUint(0, 0)
		name := string(r.Fields[0].Name)
		if id != uint64(victim.GetConnectionID()) || name != col {
			t.Fatalf("%s: column %q = %d, want the handshake's id %d", q, name, id, victim.GetConnectionID())
		}
	}
	killer, err := client.Connect(e.addr, "app", "app", "app")
	if err != nil {
		t.Fatal(err)
	}
	defer killer.Close()

	done := make(chan error, 1)
	start := time.Now()
	go func() {
		_, err := victim.Execute("SELECT SLEEP(20) FROM (SELECT 1 UNION SELECT 2) t")
		done <- err
	}()
	time.Sleep(300 * time.Millisecond)
	if _, err := killer.Execute(fmt.Sprintf("KILL QUERY %d", victim.GetConnectionID())); err != nil {
		t.Fatalf("KILL QUERY: %v", err)
	}
	select {
	case err := <-done:
		t.Logf("statement ended %v after start: %v", time.Since(start).Round(time.Millisecond), err)
	case <-time.After(10 * time.Second):
		t.Fatal("KILL QUERY did not interrupt the statement")
	}
	if _, err := victim.Execute("SELECT 1"); err != nil {
		t.Fatalf("session after KILL QUERY: %v", err)
	}
	if _, err := killer.Execute("KILL QUERY 999999"); err == nil || !strings.Contains(err.Error(), "1094") {
		t.Fatalf("KILL of an unknown id: want 1094, got %v", err)
	}
	if _, err := killer.Execute(fmt.Sprintf("KILL %d", victim.GetConnectionID())); err != nil {
		t.Fatalf("KILL CONNECTION: %v", err)
	}
	if _, err := victim.Execute("SELECT 1"); err == nil {
		t.Fatal("connection still usable after KILL CONNECTION")
	}
}
