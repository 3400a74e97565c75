package main

import (
	"database/sql"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// statusCounters reads Questions and every non-zero Com_* counter of the
// servers (SHOW GLOBAL STATUS), summed. One extra query per server.
func statusCounters(dbs []*sql.DB) map[string]float64 {
	out := map[string]float64{}
	for _, db := range dbs {
		rows, err := db.Query("SHOW GLOBAL STATUS WHERE Variable_name = 'Questions' OR Variable_name LIKE 'Com\\_%'")
		if err != nil {
			continue
		}
		for rows.Next() {
			var name, val string
			if rows.Scan(&name, &val) != nil {
				continue
			}
			if v, err := strconv.ParseFloat(val, 64); err == nil && v > 0 {
				out[name] += v
			}
		}
		rows.Close()
	}
	return out
}

// perQuery is (after - before) / queries for counters that moved by at
// least 1% of the queries.
func perQuery(before, after map[string]float64, queries int64) map[string]float64 {
	out := map[string]float64{}
	if queries <= 0 {
		return out
	}
	for k, v := range after {
		if d := (v - before[k]) / float64(queries); d >= 0.01 {
			out[k] = d
		}
	}
	return out
}

// formatCounters: "Questions 2.00; select 1.00, stmt_execute 1.00" with the
// largest first.
func formatCounters(m map[string]float64) string {
	if len(m) == 0 {
		return "–"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		if k != "Questions" {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %.2f", strings.TrimPrefix(k, "Com_"), m[k])
	}
	return fmt.Sprintf("Questions %.2f; %s", m["Questions"], strings.Join(parts, ", "))
}

// openStatusDB opens a small root pool on a server for status reads.
func openStatusDB(dsn string) (*sql.DB, error) {
	db, err := sql.Open("mysql", dsn+"?timeout=5s")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(time.Minute)
	return db, nil
}
