package main

import (
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/shardline/shardline/router"
)

func mapCmd(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "map", Short: "Show the shard map"}
	c.AddCommand(&cobra.Command{
		Use: "show", Short: "Print the whole shard map", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			var m router.ShardMap
			if err := g.call("GET", "/v1/shardmap", nil, &m); err != nil {
				return err
			}
			if g.output == "json" {
				return g.printJSON(&m)
			}
			return printMap(g.out, &m)
		},
	})
	return c
}

// printMap renders the map as three human tables.
func printMap(out io.Writer, m *router.ShardMap) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "shard map version %d\n\nSHARD\tADDR\tUSER\tMAX_CONNS\n", m.Version)
	for _, name := range sortedKeys(m.Shards) {
		s := m.Shards[name]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", name, s.Addr, s.User, s.MaxConns)
	}
	fmt.Fprintf(tw, "\nSCHEMA\tDEFAULT_SHARD\n")
	for _, name := range sortedKeys(m.Schemas) {
		fmt.Fprintf(tw, "%s\t%s\n", name, m.Schemas[name].DefaultShard)
	}
	fmt.Fprintf(tw, "\nTABLE\tTYPE\tSHARD_KEY\tALGORITHM\tPARTITIONS\n")
	for _, sn := range sortedKeys(m.Schemas) {
		tables := m.Schemas[sn].Tables
		for _, tn := range sortedKeys(tables) {
			r := tables[tn]
			typ := r.Type
			if typ == "" {
				typ = router.TypeSharded
			}
			fmt.Fprintf(tw, "%s.%s\t%s\t%s\t%s\t%s\n", sn, tn, typ, r.ShardKey, r.Algorithm, partitions(r.Partitions))
		}
	}
	return tw.Flush()
}

func partitions(ps []router.Partition) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		t := p.Table
		if p.Schema != "" {
			t = p.Schema + "." + t
		}
		parts[i] = p.Shard + ":" + t
	}
	return strings.Join(parts, ",")
}

func shardCmd(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "shard", Short: "Create, change or delete shards"}
	var s router.Shard
	put := &cobra.Command{
		Use: "put NAME", Short: "Create or replace a shard", Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if s.Addr == "" {
				return fmt.Errorf("--addr (the shard's host:port) is required")
			}
			return g.write("PUT", "/v1/shards/"+url.PathEscape(args[0]), &s)
		},
	}
	// This local --addr (the backend) shadows the global --addr (the admin
	// server); give the admin server with --admin or SHARDCTL_ADDR here.
	put.Flags().StringVar(&s.Addr, "addr", "", "backend host:port (the admin server: --admin or SHARDCTL_ADDR)")
	put.Flags().StringVar(&s.User, "user", "root", "backend user")
	put.Flags().StringVar(&s.Password, "password", "", "backend password")
	put.Flags().IntVar(&s.MaxConns, "max-conns", 0, "backend pool size (0: default)")
	del := &cobra.Command{
		Use: "delete NAME", Short: "Delete an unused shard", Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return g.write("DELETE", "/v1/shards/"+url.PathEscape(args[0]), nil)
		},
	}
	c.AddCommand(put, del)
	return c
}

func schemaCmd(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "schema", Short: "Create logical schemas"}
	var def string
	put := &cobra.Command{
		Use: "put NAME", Short: "Create a schema or change its default shard", Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			body := map[string]string{"default_shard": def}
			return g.write("PUT", "/v1/schemas/"+url.PathEscape(args[0]), body)
		},
	}
	put.Flags().StringVar(&def, "default-shard", "", "shard holding the schema's unsharded tables")
	_ = put.MarkFlagRequired("default-shard")
	c.AddCommand(put)
	return c
}
