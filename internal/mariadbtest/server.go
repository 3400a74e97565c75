// Package mariadbtest starts real mariadbd servers on 127.0.0.1 for tests,
// benchmarks, chaos runs and the demo.
//
// Every server has its own datadir (a copy of a template made once by
// mariadb-install-db), its own port and its own unix socket, and accepts
// root with no password over TCP: DSN(db) is ready for go-sql-driver.
//
// Tests use StartN, which tears the servers down in t.Cleanup; other programs
// use StartServer. Lifecycle methods (Stop, Kill, Start) are safe to call
// from several goroutines; they are serialised per server.
package mariadbtest

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"
)

const (
	// startTimeout bounds how long Start waits for the server to answer SELECT 1.
	startTimeout = 60 * time.Second
	// stopTimeout bounds a clean shutdown before Stop falls back to SIGKILL.
	stopTimeout = 60 * time.Second
	// maxSocketPath keeps the unix socket path under the sun_path limit (108).
	maxSocketPath = 100
)

// Options configures StartServer.
type Options struct {
	// Name identifies the server; its datadir is BaseDir/Name. Default "mariadb".
	Name string
	// Port is the TCP port on 127.0.0.1; 0 picks a free one.
	Port int
	// BaseDir holds the datadir; "" creates a fresh temp directory. An
	// existing, initialised BaseDir/Name is reused as is (data survives).
	BaseDir string
	// ExtraArgs are appended to the mariadbd command line (later options win).
	ExtraArgs []string
	// Keep leaves the datadir in place on Stop, so the server can be started again.
	Keep bool
	// Detach lets the server outlive this process (no parent-death signal).
	// Used by mariadbctl for the demo; tests and benchmarks leave it false so
	// that no mariadbd survives them.
	Detach bool
}

// Server is one mariadbd process and its datadir.
type Server struct {
	Name    string
	Host    string
	Port    int
	DataDir string

	opts      Options
	socket    string
	pidFile   string
	errorLog  string
	ownedBase string // temp dir made by the harness; removed with the datadir

	mu      sync.Mutex // serialises Start/Stop/Kill
	cmd     *exec.Cmd
	done    chan struct{} // closed when cmd has exited
	waitErr error         // cmd.Wait result, valid once done is closed
	removed bool          // datadir deleted by Stop
}

// Addr returns "127.0.0.1:PORT".
func (s *Server) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// DSN returns a go-sql-driver DSN for root (no password) over TCP, e.g.
// "root@tcp(127.0.0.1:PORT)/db".
func (s *Server) DSN(db string) string { return fmt.Sprintf("root@tcp(%s)/%s", s.Addr(), db) }

// Socket returns the path of the server's unix socket.
func (s *Server) Socket() string { return s.socket }

// ErrorLog returns the path of the server's error log.
func (s *Server) ErrorLog() string { return s.errorLog }

// Pid returns the process id of the running mariadbd, or 0 when it is not running.
func (s *Server) Pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.runningLocked() {
		return 0
	}
	return s.cmd.Process.Pid
}

// StartServer prepares a datadir (unless BaseDir/Name already holds one),
// starts mariadbd and waits until it answers SELECT 1 as root over TCP.
func StartServer(opts Options) (*Server, error) {
	if _, err := findBinaries(); err != nil {
		return nil, err
	}
	if opts.Name == "" {
		opts.Name = "mariadb"
	}
	s := &Server{Name: opts.Name, Host: "127.0.0.1", opts: opts}
	base := opts.BaseDir
	if base == "" {
		dir, err := os.MkdirTemp("", "mariadbtest-")
		if err != nil {
			return nil, fmt.Errorf("mariadbtest: %v", err)
		}
		base, s.ownedBase = dir, dir
	}
	abs, err := filepath.Abs(filepath.Join(base, opts.Name))
	if err != nil {
		return nil, fmt.Errorf("mariadbtest: %v", err)
	}
	s.DataDir = abs
	s.pidFile = filepath.Join(abs, "mysqld.pid")
	s.errorLog = filepath.Join(abs, "error.log")
	s.socket = socketPath(abs)
	if err := s.startFresh(); err != nil {
		if !opts.Keep && s.ownedBase != "" {
			os.RemoveAll(s.ownedBase)
		}
		return nil, err
	}
	return s, nil
}

// startFresh creates the datadir if needed and starts the server, retrying
// with another port when an automatically chosen one was taken meanwhile.
func (s *Server) startFresh() error {
	if !isDataDir(s.DataDir) {
		if err := copyTemplate(s.DataDir); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for attempt := 0; ; attempt++ {
		s.Port = s.opts.Port
		if s.Port == 0 {
			p, err := freePort()
			if err != nil {
				return err
			}
			s.Port = p
		}
		err := s.startLocked()
		if err == nil || s.opts.Port != 0 || attempt == 4 || !errors.Is(err, errPortInUse) {
			return err
		}
	}
}

var errPortInUse = errors.New("port in use")

// Start (re)starts a stopped or killed server on the same port and datadir
// and waits until it accepts connections.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.runningLocked() {
		return fmt.Errorf("mariadbtest: %s is already running (pid %d)", s.Name, s.cmd.Process.Pid)
	}
	if s.removed {
		return fmt.Errorf("mariadbtest: %s: datadir was removed by Stop (set Options.Keep to restart after Stop)", s.Name)
	}
	return s.startLocked()
}

func (s *Server) runningLocked() bool {
	if s.cmd == nil {
		return false
	}
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// serverArgs is the mariadbd command line. innodb-flush-log-at-trx-commit=2
// writes the redo log at every commit but fsyncs it about once a second:
// commits are much faster on test machines, and a committed transaction still
// survives kill -9 of mariadbd (the data is in the OS page cache); only an OS
// crash could lose the last second, which tests do not simulate.
func (s *Server) serverArgs() []string {
	args := []string{
		"--no-defaults",
		"--datadir=" + s.DataDir,
		"--port=" + strconv.Itoa(s.Port),
		"--bind-address=127.0.0.1",
		"--socket=" + s.socket,
		"--pid-file=" + s.pidFile,
		"--log-error=" + s.errorLog,
		"--skip-name-resolve",
	}
	args = append(args, innodbArgs...)
	args = append(args,
		"--max-connections=2000",
		"--innodb-flush-log-at-trx-commit=2",
		"--skip-log-bin",
	)
	if runningAsRoot() {
		args = append(args, "--user=root")
	}
	return append(args, s.opts.ExtraArgs...)
}

func (s *Server) startLocked() error {
	b, err := findBinaries()
	if err != nil {
		return err
	}
	logStart := fileSize(s.errorLog)
	cmd := exec.Command(b.mariadbd, s.serverArgs()...)
	cmd.Dir = s.DataDir
	cmd.SysProcAttr = sysProcAttr(s.opts.Detach)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("mariadbtest: start %s: %v", s.Name, err)
	}
	done := make(chan struct{})
	s.cmd, s.done = cmd, done
	go func() {
		s.waitErr = cmd.Wait()
		close(done)
	}()
	if err := s.waitReady(); err != nil {
		s.killLocked()
		log := readFrom(s.errorLog, logStart)
		if strings.Contains(log, "Address already in use") && !errors.Is(err, errPortInUse) {
			err = fmt.Errorf("%w: %v", errPortInUse, err)
		}
		return fmt.Errorf("mariadbtest: %s on %s: %w\n--- tail of %s ---\n%s", s.Name, s.Addr(), err, s.errorLog, tail(log, 25))
	}
	return nil
}

// waitReady polls until SELECT 1 succeeds as root over TCP. If TCP login is
// refused (no root@127.0.0.1 account), it creates the account once over the
// unix socket and goes on polling.
func (s *Server) waitReady() error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	fixedRoot := false
	var last error
	for {
		select {
		case <-s.done:
			return fmt.Errorf("mariadbd exited during start: %v", s.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("not ready after %v: %v", startTimeout, last)
		case <-time.After(50 * time.Millisecond):
		}
		var sock string
		sock, last = ping(ctx, s.DSN("")+"?timeout=1s&readTimeout=5s&writeTimeout=5s")
		if last == nil {
			if sock != s.socket {
				// Another server owns the port; ours will fail to bind it.
				return fmt.Errorf("%w: %s is answered by another server (socket %s)", errPortInUse, s.Addr(), sock)
			}
			return nil
		}
		var me *mysql.MySQLError
		if errors.As(last, &me) && (me.Number == 1045 || me.Number == 1130) && !fixedRoot {
			if err := s.ensureTCPRoot(ctx); err != nil {
				return fmt.Errorf("root over TCP refused (%v) and creating root@127.0.0.1 over the socket failed: %v", last, err)
			}
			fixedRoot = true
		}
	}
}

// ping runs SELECT 1 and returns the answering server's socket path, which
// tells our server apart from another one that holds the same port.
func ping(ctx context.Context, dsn string) (string, error) {
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		return "", err
	}
	defer db.Close()
	var one int
	var sock string
	err = db.QueryRowContext(ctx, "SELECT 1, @@socket").Scan(&one, &sock)
	return sock, err
}

// ensureTCPRoot creates root@127.0.0.1 with no password, using the unix
// socket (root@localhost: password-less with
// --auth-root-authentication-method=normal, unix_socket auth otherwise).
// MariaDB 10.11's mariadb-install-db already creates root@127.0.0.1 with
// normal authentication, so this only runs for datadirs made otherwise.
func (s *Server) ensureTCPRoot(ctx context.Context) error {
	db, err := sql.Open("mysql", fmt.Sprintf("root@unix(%s)/?timeout=2s", s.socket))
	if err != nil {
		return err
	}
	defer db.Close()
	for _, q := range []string{
		"CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'",
		"GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

// Stop shuts the server down cleanly (SIGTERM; SIGKILL after 60 s) and waits
// for it to exit. A server from StartServer without Keep also loses its
// datadir, so it cannot be started again; servers from StartN keep theirs
// until the test ends, so Stop + Start is a clean restart.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var err error
	if s.runningLocked() {
		p := s.cmd.Process
		_ = p.Signal(syscall.SIGCONT) // a paused server cannot handle SIGTERM
		if e := p.Signal(syscall.SIGTERM); e != nil && !errors.Is(e, os.ErrProcessDone) {
			err = fmt.Errorf("mariadbtest: stop %s: %v", s.Name, e)
		}
		select {
		case <-s.done:
		case <-time.After(stopTimeout):
			s.killLocked()
			err = fmt.Errorf("mariadbtest: %s did not shut down within %v; killed", s.Name, stopTimeout)
		}
	}
	if !s.opts.Keep && !s.removed {
		s.removed = true
		if e := s.removeFiles(); e != nil && err == nil {
			err = e
		}
	}
	return err
}

func (s *Server) removeFiles() error {
	dir := s.DataDir
	if s.ownedBase != "" {
		dir = s.ownedBase
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("mariadbtest: remove %s: %v", dir, err)
	}
	if s.socket != filepath.Join(s.DataDir, "mysqld.sock") {
		os.Remove(s.socket)
	}
	return nil
}

// Kill sends SIGKILL and waits for the process to exit. The datadir stays.
func (s *Server) Kill() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.killLocked()
	return nil
}

func (s *Server) killLocked() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

// Pause stops the process with SIGSTOP: connections stay open but nothing answers.
func (s *Server) Pause() error { return s.signal(syscall.SIGSTOP) }

// Resume continues a paused process with SIGCONT.
func (s *Server) Resume() error { return s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig syscall.Signal) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.runningLocked() {
		return fmt.Errorf("mariadbtest: %s is not running", s.Name)
	}
	if err := s.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("mariadbtest: signal %v to %s: %v", sig, s.Name, err)
	}
	return nil
}

var (
	portsMu sync.Mutex
	ports   = map[int]bool{} // handed out by freePort in this process
)

// freePort asks the kernel for an unused port on 127.0.0.1, never returning
// one it already handed out in this process (the kernel may offer a port
// again once the probe socket is closed, before mariadbd has bound it).
// Another process may still take it first; startFresh retries in that case.
func freePort() (int, error) {
	portsMu.Lock()
	defer portsMu.Unlock()
	for i := 0; i < 50; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("mariadbtest: pick a free port: %v", err)
		}
		p := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if !ports[p] {
			ports[p] = true
			return p, nil
		}
	}
	return 0, errors.New("mariadbtest: no free port found")
}

// socketPath is datadir/mysqld.sock, or a short path in the temp dir when
// that would exceed the unix socket path limit.
func socketPath(dataDir string) string {
	p := filepath.Join(dataDir, "mysqld.sock")
	if len(p) <= maxSocketPath {
		return p
	}
	sum := sha256.Sum256([]byte(dataDir))
	return filepath.Join(os.TempDir(), "mariadbtest-"+hex.EncodeToString(sum[:6])+".sock")
}

func fileSize(path string) int64 {
	if st, err := os.Stat(path); err == nil {
		return st.Size()
	}
	return 0
}

// readFrom returns the contents of path from offset on (what this start logged).
func readFrom(path string, offset int64) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	if offset > int64(len(b)) {
		offset = 0
	}
	return string(b[offset:])
}
