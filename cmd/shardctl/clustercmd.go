package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K { return slices.Sorted(maps.Keys(m)) }

// clusterReply mirrors GET /v1/cluster.
type clusterReply struct {
	Self         string `json:"self"`
	Leader       string `json:"leader"`
	AppliedIndex uint64 `json:"applied_index"`
	Nodes        []struct {
		ID        string `json:"id"`
		RaftAddr  string `json:"raft_addr"`
		AdminAddr string `json:"admin_addr"`
		MySQLAddr string `json:"mysql_addr"`
		State     string `json:"state"`
		Voter     bool   `json:"voter"`
	} `json:"nodes"`
}

func clusterCmd(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "cluster", Short: "Show the metadata Raft cluster"}
	c.AddCommand(&cobra.Command{
		Use: "status", Short: "Print the members, their state and the leader", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			var ci clusterReply
			if err := g.call("GET", "/v1/cluster", nil, &ci); err != nil {
				return err
			}
			if g.output == "json" {
				return g.printJSON(ci)
			}
			tw := tabwriter.NewWriter(g.out, 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "self %s, leader %s, applied index %d\n\nID\tSTATE\tVOTER\tRAFT_ADDR\tADMIN_ADDR\tMYSQL_ADDR\n",
				ci.Self, or(ci.Leader, "(none)"), ci.AppliedIndex)
			for _, n := range ci.Nodes {
				fmt.Fprintf(tw, "%s\t%s\t%t\t%s\t%s\t%s\n", n.ID, n.State, n.Voter, n.RaftAddr, n.AdminAddr, n.MySQLAddr)
			}
			return tw.Flush()
		},
	})
	c.AddCommand(&cobra.Command{
		Use: "remove ID", Short: "Remove a node from the Raft group (a non-voter is promoted if needed)", Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if err := g.call("DELETE", "/v1/cluster/nodes/"+url.PathEscape(args[0]), nil, nil); err != nil {
				return err
			}
			_, err := fmt.Fprintf(g.out, "ok, node %s removed\n", args[0])
			return err
		},
	})
	return c
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// txnReply mirrors GET /v1/transactions.
type txnReply struct {
	Decisions []struct {
		Gtrid   string    `json:"gtrid"`
		Outcome string    `json:"outcome"`
		Created time.Time `json:"created"`
	} `json:"decisions"`
	InDoubt json.RawMessage `json:"in_doubt"`
}

func txnCmd(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "txn", Short: "Inspect cross-shard transactions"}
	c.AddCommand(&cobra.Command{
		Use: "list", Short: "List unresolved decisions and in-doubt branches", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			var tr txnReply
			if err := g.call("GET", "/v1/transactions", nil, &tr); err != nil {
				return err
			}
			if g.output == "json" {
				return g.printJSON(tr)
			}
			tw := tabwriter.NewWriter(g.out, 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "GTRID\tOUTCOME\tCREATED\n")
			for _, d := range tr.Decisions {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", d.Gtrid, d.Outcome, d.Created.Format(time.RFC3339))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if len(tr.InDoubt) > 0 && string(tr.InDoubt) != "null" {
				fmt.Fprintf(g.out, "\nin-doubt branches on the shards:\n%s\n", tr.InDoubt)
			}
			return nil
		},
	})
	return c
}

func sequenceCmd(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "sequence", Short: "Manage global sequences"}
	c.AddCommand(&cobra.Command{
		Use: "advance NAME N", Short: "Make the next value of sequence NAME at least N", Args: cobra.ExactArgs(2),
		RunE: func(_ *cobra.Command, args []string) error {
			n, err := strconv.ParseUint(args[1], 10, 64)
			if err != nil {
				return fmt.Errorf("argument N must be a non-negative integer: %w", err)
			}
			var reply map[string]any
			if err := g.call("POST", "/v1/sequences/"+url.PathEscape(args[0]), map[string]uint64{"at_least": n}, &reply); err != nil {
				return err
			}
			if g.output == "json" {
				return g.printJSON(reply)
			}
			_, err = fmt.Fprintf(g.out, "ok, sequence %s next value >= %d\n", args[0], n)
			return err
		},
	})
	return c
}
