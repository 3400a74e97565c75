// Command shardctl is the admin CLI of Shardline: a thin client of the admin
// HTTP API (see README.md, "Admin API and shardctl").
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
