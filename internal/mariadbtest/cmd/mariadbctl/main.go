// Command mariadbctl starts and stops long-lived local MariaDB servers for the
// demo and the benchmarks (scripts/demo.sh, scripts/bench.sh).
//
//	mariadbctl up     -dir .demo t3306:13306 t3307:13307   # start what is not running
//	mariadbctl down   -dir .demo t3306 t3307               # clean shutdown, wait for exit
//	mariadbctl status -dir .demo t3306                      # exit 1 unless all answer
//
// A server NAME lives in DIR/NAME (its datadir, kept across restarts);
// mariadbd writes its pid to DIR/NAME/mysqld.pid. Port 0 picks a free port.
// `up` returns once every server answers SELECT 1 and prints one line per
// server: "NAME 127.0.0.1:PORT pid=PID started|running". The servers keep
// running after mariadbctl exits.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	_ "github.com/go-sql-driver/mysql"

	"github.com/shardline/shardline/internal/mariadbtest"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	dir := fs.String("dir", ".demo", "directory holding one datadir per server")
	_ = fs.Parse(os.Args[2:])
	if fs.NArg() == 0 {
		usage()
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		fatal(err)
	}
	var run func(string, string) error
	switch os.Args[1] {
	case "up":
		run = up
	case "down":
		run = down
	case "status":
		run = status
	default:
		usage()
	}
	if !forEach(abs, fs.Args(), run) {
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: mariadbctl up|down|status [-dir DIR] NAME[:PORT]...")
	os.Exit(2)
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "mariadbctl:", err)
	os.Exit(1)
}

// forEach runs fn for every NAME[:PORT] argument in parallel; it reports
// whether all succeeded.
func forEach(dir string, args []string, fn func(dir, arg string) error) bool {
	errs := make([]error, len(args))
	var wg sync.WaitGroup
	for i, arg := range args {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn(dir, arg)
		}()
	}
	wg.Wait()
	ok := true
	for i, err := range errs {
		if err != nil {
			fmt.Fprintf(os.Stderr, "mariadbctl: %s: %v\n", args[i], err)
			ok = false
		}
	}
	return ok
}

func splitArg(arg string) (name string, port int, err error) {
	name, p, found := strings.Cut(arg, ":")
	if found {
		if port, err = strconv.Atoi(p); err != nil || port < 0 || port > 65535 {
			return "", 0, fmt.Errorf("bad port %q", p)
		}
	}
	if name == "" || strings.ContainsAny(name, `/\`) {
		return "", 0, fmt.Errorf("bad server name %q", name)
	}
	return name, port, nil
}

func up(dir, arg string) error {
	name, port, err := splitArg(arg)
	if err != nil {
		return err
	}
	dataDir := filepath.Join(dir, name)
	if pid, runningPort := running(dataDir); pid != 0 {
		if port != 0 && runningPort != port {
			return fmt.Errorf("already running on port %d (pid %d), not %d", runningPort, pid, port)
		}
		addr := fmt.Sprintf("127.0.0.1:%d", runningPort)
		if err := answers(addr); err != nil {
			return fmt.Errorf("running (pid %d) but not answering on %s: %v", pid, addr, err)
		}
		fmt.Printf("%s %s pid=%d running\n", name, addr, pid)
		return nil
	}
	s, err := mariadbtest.StartServer(mariadbtest.Options{
		Name: name, Port: port, BaseDir: dir, Keep: true, Detach: true,
	})
	if err != nil {
		return err
	}
	fmt.Printf("%s %s pid=%d started\n", name, s.Addr(), s.Pid())
	return nil
}

func down(dir, arg string) error {
	name, _, err := splitArg(arg)
	if err != nil {
		return err
	}
	pid, _ := running(filepath.Join(dir, name))
	if pid == 0 {
		fmt.Printf("%s not running\n", name)
		return nil
	}
	if err := terminate(pid, 60*time.Second); err != nil {
		return err
	}
	fmt.Printf("%s stopped (pid %d)\n", name, pid)
	return nil
}

func status(dir, arg string) error {
	name, _, err := splitArg(arg)
	if err != nil {
		return err
	}
	pid, port := running(filepath.Join(dir, name))
	if pid == 0 {
		return errors.New("not running")
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if err := answers(addr); err != nil {
		return fmt.Errorf("pid %d not answering on %s: %v", pid, addr, err)
	}
	fmt.Printf("%s %s pid=%d running\n", name, addr, pid)
	return nil
}

// running returns the pid and port of the mariadbd serving dataDir, or 0 when
// none runs. The pid file alone is not trusted (kill -9 leaves it behind and
// the pid may be reused): the process's command line must name this datadir.
func running(dataDir string) (pid, port int) {
	b, err := os.ReadFile(filepath.Join(dataDir, "mysqld.pid"))
	if err != nil {
		return 0, 0
	}
	pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, 0
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return 0, 0
	}
	found := false
	for _, a := range strings.Split(string(cmdline), "\x00") {
		if a == "--datadir="+dataDir {
			found = true
		}
		if v, ok := strings.CutPrefix(a, "--port="); ok {
			port, _ = strconv.Atoi(v)
		}
	}
	if !found {
		return 0, 0
	}
	return pid, port
}

// terminate sends SIGTERM (after SIGCONT, in case it is paused) and waits for
// the process to disappear, falling back to SIGKILL after timeout.
func terminate(pid int, timeout time.Duration) error {
	_ = syscall.Kill(pid, syscall.SIGCONT)
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		if errors.Is(err, syscall.ESRCH) {
			return nil
		}
		return err
	}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if alive(pid) {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		return nil
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	for i := 0; i < 50 && alive(pid); i++ {
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("pid %d did not shut down within %v; sent SIGKILL", pid, timeout)
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// Field 3 is the state; the command name before it is in parentheses.
	if i := strings.LastIndexByte(string(stat), ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2] != 'Z'
	}
	return true
}

func answers(addr string) error {
	db, err := sql.Open("mysql", "root@tcp("+addr+")/?timeout=2s&readTimeout=5s")
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return db.QueryRowContext(ctx, "SELECT 1").Scan(new(int))
}
