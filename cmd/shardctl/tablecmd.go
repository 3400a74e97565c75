package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/shardline/shardline/router"
)

func tableCmd(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "table", Short: "Set or delete table rules"}
	var file string
	set := &cobra.Command{
		Use: "set SCHEMA TABLE -f rule.yaml|rule.json", Short: "Create or replace a table rule", Args: cobra.ExactArgs(2),
		RunE: func(_ *cobra.Command, args []string) error {
			rule, err := readRule(file)
			if err != nil {
				return err
			}
			return g.write("PUT", tablePath(args[0], args[1]), rule)
		},
	}
	set.Flags().StringVarP(&file, "file", "f", "", "rule file, YAML or JSON (- for stdin)")
	_ = set.MarkFlagRequired("file")
	del := &cobra.Command{
		Use: "delete SCHEMA TABLE", Short: "Delete a table rule", Args: cobra.ExactArgs(2),
		RunE: func(_ *cobra.Command, args []string) error {
			return g.write("DELETE", tablePath(args[0], args[1]), nil)
		},
	}
	c.AddCommand(set, del)
	return c
}

func tablePath(schema, table string) string {
	return "/v1/schemas/" + url.PathEscape(schema) + "/tables/" + url.PathEscape(table)
}

// readRule reads a table rule from a JSON (.json) or YAML file, rejecting
// unknown fields as the server does.
func readRule(path string) (*router.TableRule, error) {
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(os.Stdin)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, err
	}
	var rule router.TableRule
	if strings.EqualFold(filepath.Ext(path), ".json") {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		err = dec.Decode(&rule)
	} else {
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		err = dec.Decode(&rule)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &rule, nil
}
