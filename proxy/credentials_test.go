package proxy_test

import (
	"database/sql"
	"strings"
	"testing"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/shardline/shardline/proxy"
)

// TestHashedPasswords logs in to users configured with password hashes only
// (no password in the config), with both auth methods and with a switch to
// the method the stored hash supports. If it fails, operators must keep
// client passwords in clear text in the config.
func TestHashedPasswords(t *testing.T) {
	native, sha2 := proxy.PasswordHashes("s3cret")
	for _, tc := range []struct {
		name   string
		method string
		user   proxy.User
	}{
		{"native hash, native auth", "mysql_native_password", proxy.User{Name: "u", PasswordHash: native}},
		{"sha2 hash, caching_sha2 auth", "caching_sha2_password", proxy.User{Name: "u", PasswordSHA2: sha2}},
		{"native hash only, caching_sha2 auth (client switched to native)", "caching_sha2_password", proxy.User{Name: "u", PasswordHash: native}},
		{"sha2 hash only, native auth (client switched to caching_sha2)", "mysql_native_password", proxy.User{Name: "u", PasswordSHA2: sha2}},
		{"both hashes", "caching_sha2_password", proxy.User{Name: "u", PasswordHash: native, PasswordSHA2: sha2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := startEnv(t, 1, passThroughMap, func(c *proxy.Config) {
				c.AuthMethod = tc.method
				c.Users = []proxy.User{tc.user}
			})
			login := func(pw string) error {
				cfg := gomysql.NewConfig()
				cfg.User, cfg.Passwd, cfg.Net, cfg.Addr = "u", pw, "tcp", e.addr
				c, _ := gomysql.NewConnector(cfg)
				db := sql.OpenDB(c)
				defer db.Close()
				return db.Ping()
			}
			if err := login("s3cret"); err != nil {
				t.Fatalf("right password: %v", err)
			}
			mysqlErr(t, login("wrong"), 1045, "28000")
			mysqlErr(t, login(""), 1045, "28000")
		})
	}
}

// TestEmptyPassword: a user configured without any password logs in with
// none, and is refused with one.
func TestEmptyPassword(t *testing.T) {
	e := startEnv(t, 1, passThroughMap, func(c *proxy.Config) { c.Users = []proxy.User{{Name: "anon"}} })
	cfg := gomysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr = "anon", "tcp", e.addr
	c, _ := gomysql.NewConnector(cfg)
	db := sql.OpenDB(c)
	defer db.Close()
	if err := db.Ping(); err != nil {
		t.Fatalf("empty password: %v", err)
	}
}

// TestBadPasswordHashConfig: malformed hashes are refused at start with an
// error naming the field.
func TestBadPasswordHashConfig(t *testing.T) {
	for _, u := range []proxy.User{
		{Name: "a", PasswordHash: "*1234"},
		{Name: "a", PasswordSHA2: "zz"},
		{Name: "a", Password: "x", PasswordHash: "*" + strings.Repeat("A", 40)},
	} {
		cfg := proxy.DefaultConfig()
		cfg.Users = []proxy.User{u}
		_, err := proxy.NewServer(cfg, proxy.Deps{Map: &staticMap{}, Planner: nil})
		if err == nil || !strings.Contains(err.Error(), "password") {
			t.Errorf("%+v: want an error about the password fields, got %v", u, err)
		}
	}
}
