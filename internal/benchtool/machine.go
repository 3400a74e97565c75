package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strings"
)

// machineInfo describes the host for the report.
func machineInfo() [][2]string {
	cpu := "?"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	mem := "?"
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		fmt.Sscanf(strings.TrimPrefix(strings.SplitN(string(b), "\n", 2)[0], "MemTotal:"), "%d", &kb)
		mem = fmt.Sprintf("%.1f GiB", float64(kb)/1024/1024)
	}
	return [][2]string{
		{"CPUs (nproc)", fmt.Sprint(runtime.NumCPU())},
		{"CPU model", cpu},
		{"memory", mem},
		{"kernel", cmdOut("uname", "-sr")},
		{"MariaDB", cmdOut("mariadbd", "--version")},
		{"sysbench", cmdOut("sysbench", "--version")},
		{"Go", cmdOut("go", "version")},
		{"Shardline commit", cmdOut("git", "log", "-1", "--format=%h %s")},
		{"uncommitted changes in the checkout (bin/shardline is built from the working tree)", dirtyFiles()},
	}
}

func cmdOut(name string, args ...string) string {
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(out))
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:3], " ")
}

// otherProcesses lists what else was using CPU when the suite started
// (ps: command names with their total %CPU, top 8, this process excluded).
func otherProcesses() string {
	out, err := exec.Command("ps", "-eo", "pid=,pcpu=,comm=").Output()
	if err != nil {
		return "?"
	}
	me := os.Getpid()
	byName := map[string]float64{}
	count := map[string]int{}
	for _, l := range strings.Split(string(out), "\n") {
		var pid int
		var pcpu float64
		var comm string
		if n, _ := fmt.Sscanf(l, "%d %f %s", &pid, &pcpu, &comm); n != 3 || pid == me || pid == os.Getppid() {
			continue
		}
		byName[comm] += pcpu
		count[comm]++
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return byName[names[i]] > byName[names[j]] })
	var parts []string
	for _, n := range names[:min(8, len(names))] {
		parts = append(parts, fmt.Sprintf("%s×%d (%.0f%% CPU avg since start)", n, count[n], byName[n]))
	}
	return strings.Join(parts, ", ")
}

// dirtyFiles counts modified and untracked files (other engineers' work in
// progress is compiled into bin/shardline by make build).
func dirtyFiles() string {
	out := cmdOut("git", "status", "--porcelain")
	if out == "?" {
		return out
	}
	if out == "" {
		return "none"
	}
	return fmt.Sprintf("%d files", len(strings.Split(out, "\n")))
}
