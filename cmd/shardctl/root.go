package main

import (
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/spf13/cobra"
)

// globals holds the persistent flags; one per invocation (no package state).
type globals struct {
	addr    string
	admin   string
	token   string
	output  string
	ifMatch string
	caFile  string
	client  *http.Client
	out     io.Writer
}

// run executes one shardctl command line and returns the exit code. Errors
// are printed plainly to stderr.
func run(args []string, stdout, stderr io.Writer) int {
	g := &globals{out: stdout}
	root := newRoot(g)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := root.Execute(); err != nil {
		fmt.Fprintln(stderr, "shardctl:", err)
		return 1
	}
	return 0
}

func newRoot(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:           "shardctl",
		Short:         "Manage a Shardline cluster through its admin HTTP API",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(*cobra.Command, []string) error {
			if g.admin != "" {
				g.addr = g.admin
			}
			if g.output != "table" && g.output != "json" {
				return fmt.Errorf("-o must be table or json, not %q", g.output)
			}
			return g.setupClient()
		},
	}
	addr := envOr("SHARDCTL_ADDR", "127.0.0.1:9090")
	pf := root.PersistentFlags()
	pf.StringVar(&g.addr, "addr", addr, "admin address host:port or URL (env SHARDCTL_ADDR)")
	pf.StringVar(&g.admin, "admin", "", "same as --addr (for commands whose own --addr means something else)")
	pf.StringVar(&g.token, "token", os.Getenv("SHARDCTL_TOKEN"), "admin bearer token (env SHARDCTL_TOKEN)")
	pf.StringVarP(&g.output, "output", "o", "table", "output format: table|json")
	pf.StringVar(&g.ifMatch, "if-match", "", "for writes: apply only if the shard map is at this version")
	pf.StringVar(&g.caFile, "ca", os.Getenv("SHARDCTL_CA"), "PEM file of the CA that signed the admin endpoint's certificate, for an https:// --addr with cluster_tls (env SHARDCTL_CA)")
	root.AddCommand(mapCmd(g), shardCmd(g), schemaCmd(g), tableCmd(g), clusterCmd(g), txnCmd(g), sequenceCmd(g))
	return root
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
