package main

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the child get SIGKILL when this process exits, so that
// no shardline outlives an interrupted benchmark.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
