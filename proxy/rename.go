package proxy

import (
	"bytes"
	"strings"

	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/shardline/shardline/router"
)

// renameStream shows a sharded table's logical name where the backend
// answered with the physical one (SHOW CREATE TABLE, SHOW INDEX).
type renameStream struct {
	router.RowStream
	r   *router.TableRename
	row []mysql.FieldValue
}

func (s *renameStream) Next() ([]mysql.FieldValue, error) {
	row, err := s.RowStream.Next()
	if err != nil {
		return nil, err
	}
	s.row = append(s.row[:0], row...)
	physical := []byte(s.r.Physical)
	prefix := []byte("CREATE TABLE `" + strings.ReplaceAll(s.r.Physical, "`", "``") + "`")
	for i := range s.row {
		v := &s.row[i]
		if v.Type != mysql.FieldValueTypeString {
			continue
		}
		b := v.AsString()
		switch {
		case bytes.Equal(b, physical):
			s.row[i] = mysql.NewFieldValue(mysql.FieldValueTypeString, 0, []byte(s.r.Logical))
		case bytes.HasPrefix(b, prefix):
			renamed := append([]byte("CREATE TABLE `"+strings.ReplaceAll(s.r.Logical, "`", "``")+"`"), b[len(prefix):]...)
			s.row[i] = mysql.NewFieldValue(mysql.FieldValueTypeString, 0, renamed)
		}
	}
	return s.row, nil
}
