package proxy_test

import (
	"testing"

	"github.com/go-mysql-org/go-mysql/client"
)

// TestPrepareMetadataOfProxyAnswers: statements the proxy answers itself
// (SELECT LAST_INSERT_ID(), EXPLAIN FORMAT=SHARDLINE) announce their columns
// at PREPARE like any other. If it fails, drivers that read the prepare
// metadata (JDBC's getMetaData, ORMs) see a statement without columns.
func TestPrepareMetadataOfProxyAnswers(t *testing.T) {
	e := startEnv(t, 1, passThroughMap, nil)
	c, err := client.Connect(e.addr, "app", "app", "app")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, tc := range []struct {
		sql     string
		columns int
	}{
		{"SELECT LAST_INSERT_ID()", 1},
		{"SELECT LAST_INSERT_ID() AS a, @@identity", 2},
		{"EXPLAIN FORMAT=SHARDLINE SELECT 1", 2},
	} {
		st, err := c.Prepare(tc.sql)
		if err != nil {
			t.Fatalf("%s: %v", tc.sql, err)
		}
		if st.ColumnNum() != tc.columns {
			t.Errorf("%s: PREPARE announced %d columns, want %d", tc.sql, st.ColumnNum(), tc.columns)
		}
		r, err := st.Execute()
		if err != nil {
			t.Fatalf("%s: EXECUTE: %v", tc.sql, err)
		}
		if len(r.Fields) != tc.columns {
			t.Errorf("%s: EXECUTE returned %d columns, want %d", tc.sql, len(r.Fields), tc.columns)
		}
		_ = st.Close()
	}
}
