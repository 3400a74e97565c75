package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// profileRun is one extra (unmeasured) sysbench run with a CPU profile of
// the proxy taken during it.
type profileRun struct {
	title string
	path  string
	top   string // go tool pprof -top, first lines
	err   error
}

// profiledCells are the runs profiled after the measured rounds.
var profiledCells = []struct {
	workload string
	target   string
}{
	{"point_select (prepared)", "passthrough"},
	{"point_select (text)", "passthrough"},
	{"point_select (prepared)", "sharded"},
	{"read_write", "sharded"},
}

// profiles runs profiledCells at the first thread count, each with a CPU
// profile of DURATION-1 s fetched from the proxy's pprof listener.
func profiles(c *config, rep *report, targets []target) {
	th := c.threads[0]
	for _, pc := range profiledCells {
		var t target
		for _, x := range targets {
			if x.name == pc.target {
				t = x
			}
		}
		w := workloads[workloadIndex(pc.workload)]
		name := strings.NewReplacer(" ", "_", "(", "", ")", "", "--", "").Replace(fmt.Sprintf("%s-%s-%dthreads", pc.target, w.name, th))
		path, _ := filepath.Abs(filepath.Join(c.dir, "results", name+".pprof"))
		pr := profileRun{title: fmt.Sprintf("%s, %s, %d threads", pc.target, w.name, th), path: path}
		secs := max(1, c.duration-1)
		done := make(chan error, 1)
		go func() { done <- fetchProfile(t.proxy.pprof, secs, path) }()
		log.Printf("profiling %s", pr.title)
		r := measure(c, t, w, th, c.duration)
		if pr.err = <-done; pr.err == nil && r.err == nil {
			pr.top, pr.err = pprofTop(c.bin, path)
		} else if pr.err == nil {
			pr.err = r.err
		}
		rep.profiles = append(rep.profiles, pr)
	}
}

func fetchProfile(addr string, secs int, path string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(secs+30)*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, secs), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("pprof: %s", resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, resp.Body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// pprofTop is the head of `go tool pprof -top` (flat CPU per function).
func pprofTop(bin, path string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "tool", "pprof", "-top", "-nodecount=25", bin, path).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go tool pprof: %v: %s", err, tail(string(out), 5))
	}
	return strings.TrimSpace(string(out)), nil
}
