package proxy

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// scanPlaceholders calls fn with the byte offset of every '?' parameter
// marker of sql: outside string literals, quoted identifiers and comments.
func scanPlaceholders(sql string, fn func(i int)) {
	for i := 0; i < len(sql); i++ {
		switch c := sql[i]; c {
		case '\'', '"', '`':
			i = skipQuoted(sql, i, c)
		case '#':
			i = skipTo(sql, i, "\n")
		case '-':
			if strings.HasPrefix(sql[i:], "-- ") || strings.HasPrefix(sql[i:], "--\t") || sql[i:] == "--" {
				i = skipTo(sql, i, "\n")
			}
		case '/':
			if strings.HasPrefix(sql[i:], "/*") && !strings.HasPrefix(sql[i:], "/*!") {
				i = skipTo(sql, i+2, "*/") + 1
			}
		case '?':
			fn(i)
		}
	}
}

func skipQuoted(sql string, i int, q byte) int {
	for j := i + 1; j < len(sql); j++ {
		switch sql[j] {
		case '\\':
			if q != '`' {
				j++
			}
		case q:
			if j+1 < len(sql) && sql[j+1] == q { // doubled quote
				j++
				continue
			}
			return j
		}
	}
	return len(sql)
}

func skipTo(sql string, i int, end string) int {
	if k := strings.Index(sql[i:], end); k >= 0 {
		return i + k + len(end) - 1
	}
	return len(sql)
}

// interpolate replaces the parameter markers of sql with args as SQL
// literals, for statements the proxy runs as text on behalf of a prepared
// statement (scatter-gather, split INSERTs).
func interpolate(sql string, args []any) (string, error) {
	if len(args) == 0 {
		return sql, nil
	}
	var b strings.Builder
	b.Grow(len(sql) + 16*len(args))
	last, n := 0, 0
	var err error
	scanPlaceholders(sql, func(i int) {
		if err != nil {
			return
		}
		if n >= len(args) {
			err = fmt.Errorf("statement has more parameter markers than the %d arguments", len(args))
			return
		}
		b.WriteString(sql[last:i])
		appendLiteral(&b, args[n])
		n++
		last = i + 1
	})
	if err != nil {
		return "", err
	}
	if n != len(args) {
		return "", fmt.Errorf("statement has %d parameter markers for %d arguments", n, len(args))
	}
	b.WriteString(sql[last:])
	return b.String(), nil
}

func appendLiteral(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("NULL")
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case uint64:
		b.WriteString(strconv.FormatUint(x, 10))
	case int:
		b.WriteString(strconv.Itoa(x))
	case float64:
		b.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
	case bool:
		if x {
			b.WriteString("1")
		} else {
			b.WriteString("0")
		}
	case []byte:
		// Binary data (BLOB parameters) as a hex literal: exact, any bytes.
		b.WriteString("X'")
		b.WriteString(hex.EncodeToString(x))
		b.WriteString("'")
	case string:
		quoteString(b, x)
	case time.Time:
		quoteString(b, x.Format("2006-01-02 15:04:05.999999"))
	default:
		quoteString(b, fmt.Sprint(x))
	}
}

// quoteString writes s as a single-quoted literal with MySQL's backslash
// escapes (the default sql_mode; NO_BACKSLASH_ESCAPES is not supported here).
func quoteString(b *strings.Builder, s string) {
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case 0:
			b.WriteString(`\0`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\\':
			b.WriteString(`\\`)
		case '\'':
			b.WriteString(`\'`)
		case 0x1a:
			b.WriteString(`\Z`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
}
