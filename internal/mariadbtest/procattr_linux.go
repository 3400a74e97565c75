package mariadbtest

import "syscall"

// sysProcAttr puts mariadbd in its own process group (a Ctrl-C aimed at the
// parent's group does not reach it; Stop decides how it ends) and, unless
// detached, asks the kernel to SIGKILL it when the parent dies, so a crashed
// or timed-out test leaves no mariadbd behind. Caveat: Linux sends the
// parent-death signal when the OS thread that forked exits, which for Go
// happens only if that thread was locked (runtime.LockOSThread) and released
// by a goroutine exit; the harness never locks threads.
func sysProcAttr(detach bool) *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{Setpgid: true}
	if !detach {
		attr.Pdeathsig = syscall.SIGKILL
	}
	return attr
}
