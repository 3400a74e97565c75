//go:build !linux

package mariadbtest

import "syscall"

// sysProcAttr puts mariadbd in its own process group. Outside Linux there is
// no parent-death signal: a test process that dies without cleanup can leave
// a mariadbd running.
func sysProcAttr(detach bool) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
