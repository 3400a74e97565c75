package router

import (
	"errors"
	"testing"

	"github.com/go-mysql-org/go-mysql/mysql"
)

// TestNonTransactionalEngineRefused: sharded and broadcast tables must stay
// InnoDB; an unsharded table may use any engine. If it fails, a MyISAM
// partition would keep rows a cross-shard rollback undid elsewhere.
func TestNonTransactionalEngineRefused(t *testing.T) {
	m := fuzzMap()
	p := NewPlanner()
	for _, tc := range []struct {
		sql  string
		code uint16
	}{
		{"CREATE TABLE orders (id INT PRIMARY KEY, user_id INT) ENGINE=MyISAM", mysql.ER_NOT_SUPPORTED_YET},
		{"ALTER TABLE orders ENGINE=Aria", mysql.ER_NOT_SUPPORTED_YET},
		{"CREATE TABLE countries (code CHAR(2)) ENGINE=MEMORY", mysql.ER_NOT_SUPPORTED_YET},
		{"CREATE TABLE orders (id INT PRIMARY KEY, user_id INT) ENGINE=InnoDB", 0},
		{"CREATE TABLE plain (id INT) ENGINE=MyISAM", 0},
	} {
		_, err := p.Plan(tc.sql, nil, m, Session{DB: "oms"})
		var me *mysql.MyError
		switch {
		case tc.code == 0 && err != nil:
			t.Errorf("%s: %v", tc.sql, err)
		case tc.code != 0 && (!errors.As(err, &me) || me.Code != tc.code):
			t.Errorf("%s: want error %d, got %v", tc.sql, tc.code, err)
		}
	}
}
