package mariadbtest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
)

// ErrNotInstalled is returned when mariadbd or mariadb-install-db cannot be found.
var ErrNotInstalled = errors.New("mariadbtest: mariadbd / mariadb-install-db not found in PATH, /usr/sbin or /usr/bin")

// lookBinary finds name in PATH, then in /usr/sbin and /usr/bin (Debian installs
// mariadbd in /usr/sbin, which is not in a normal user's PATH).
func lookBinary(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"} {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w (looking for %s)", ErrNotInstalled, name)
}

type binaries struct {
	mariadbd  string
	installDB string
	version   string // first line of `mariadbd --version`
}

var (
	binOnce sync.Once
	binVal  binaries
	binErr  error
)

// findBinaries locates the MariaDB programs once per process.
func findBinaries() (binaries, error) {
	binOnce.Do(func() {
		var b binaries
		if b.mariadbd, binErr = lookBinary("mariadbd"); binErr != nil {
			return
		}
		if b.installDB, binErr = lookBinary("mariadb-install-db"); binErr != nil {
			return
		}
		out, err := exec.Command(b.mariadbd, "--version").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("mariadbtest: %s --version: %v: %s", b.mariadbd, err, out)
			return
		}
		b.version = strings.TrimSpace(string(out))
		binVal = b
	})
	return binVal, binErr
}

// Available reports whether mariadbd and mariadb-install-db can be found.
func Available() bool {
	_, err := findBinaries()
	return err == nil
}

// runningAsRoot reports whether mariadbd needs --user=root (it refuses to run
// as root otherwise).
func runningAsRoot() bool { return os.Geteuid() == 0 }

func currentUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return os.Getenv("USER")
}

// Server options that must be identical for mariadb-install-db (which boots
// the server once to create the system tables) and for every later start;
// otherwise InnoDB would resize its redo log on first start.
var innodbArgs = []string{
	"--innodb-buffer-pool-size=64M",
	"--innodb-log-file-size=16M",
}

var (
	tmplOnce sync.Once
	tmplDir  string
	tmplErr  error
)

// templateDir returns an initialised datadir that new servers copy instead of
// running mariadb-install-db each time. It is built once per machine, user and
// MariaDB version in the user cache directory (mariadb-install-db runs at
// most once per process, under sync.Once), and published by an atomic rename,
// so concurrent test processes never see a half-written template and no
// per-process temp copy is left behind. The template is only ever copied,
// never started, so it stays pristine.
func templateDir() (string, error) {
	tmplOnce.Do(func() { tmplDir, tmplErr = buildTemplate() })
	return tmplDir, tmplErr
}

func buildTemplate() (string, error) {
	b, err := findBinaries()
	if err != nil {
		return "", err
	}
	installArgs := append([]string{
		"--no-defaults",
		"--auth-root-authentication-method=normal",
		"--skip-test-db",
		"--user=" + currentUser(),
	}, innodbArgs...)
	sum := sha256.Sum256([]byte(b.mariadbd + "\x00" + b.version + "\x00" + strings.Join(installArgs, "\x00")))
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	root := filepath.Join(cache, "shardline-mariadbtest")
	final := filepath.Join(root, "template-"+hex.EncodeToString(sum[:8]))
	if isDataDir(final) {
		return final, nil
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", fmt.Errorf("mariadbtest: %v", err)
	}
	work, err := os.MkdirTemp(root, "building-")
	if err != nil {
		return "", fmt.Errorf("mariadbtest: %v", err)
	}
	defer os.RemoveAll(work)
	data := filepath.Join(work, "data")
	args := append(installArgs, "--datadir="+data)
	if out, err := exec.Command(b.installDB, args...).CombinedOutput(); err != nil {
		return "", fmt.Errorf("mariadbtest: %s %s: %v\n%s", b.installDB, strings.Join(args, " "), err, tail(string(out), 30))
	}
	if err := os.Rename(data, final); err != nil && !isDataDir(final) {
		return "", fmt.Errorf("mariadbtest: publish template: %v", err)
	}
	return final, nil
}

// isDataDir reports whether dir looks like an initialised datadir.
func isDataDir(dir string) bool {
	st, err := os.Stat(filepath.Join(dir, "mysql", "user.frm"))
	if err == nil && !st.IsDir() {
		return true
	}
	st, err = os.Stat(filepath.Join(dir, "mysql", "global_priv.frm"))
	return err == nil && !st.IsDir()
}

// copyTemplate creates dst as a copy of the template datadir.
func copyTemplate(dst string) error {
	src, err := templateDir()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("mariadbtest: %v", err)
	}
	if out, err := exec.Command("cp", "-a", src, dst).CombinedOutput(); err != nil {
		return fmt.Errorf("mariadbtest: cp -a %s %s: %v: %s", src, dst, err, out)
	}
	return nil
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
