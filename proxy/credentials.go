package proxy

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// credential is what the proxy keeps of a user's password: only hashes,
// never the password itself. Each hash verifies one auth method's
// challenge response without the password:
//   - native is SHA1(SHA1(password)), MySQL's mysql_native_password hash
//     (PASSWORD(), written "*" + 40 hex digits);
//   - sha2 is SHA256(SHA256(password)), what caching_sha2_password's fast
//     path checks against.
type credential struct {
	native    [20]byte
	hasNative bool
	sha2      [32]byte
	hasSHA2   bool
	empty     bool // the password is empty: the client sends no auth data
}

func hashPassword(pw string) credential {
	s1 := sha1.Sum([]byte(pw))
	s2 := sha256.Sum256([]byte(pw))
	return credential{native: sha1.Sum(s1[:]), hasNative: true, sha2: sha256.Sum256(s2[:]), hasSHA2: true, empty: pw == ""}
}

// newCredential builds a user's credential from the config: a password
// (hashed here, then dropped) or its hashes.
func newCredential(u User) (credential, error) {
	if u.Password != "" {
		if u.PasswordHash != "" || u.PasswordSHA2 != "" {
			return credential{}, fmt.Errorf("user %s: give password or password_hash/password_sha2, not both", u.Name)
		}
		return hashPassword(u.Password), nil
	}
	var c credential
	if u.PasswordHash != "" {
		h := strings.TrimPrefix(u.PasswordHash, "*")
		b, err := hex.DecodeString(h)
		if err != nil || len(b) != 20 || len(h) != 40 {
			return c, fmt.Errorf("user %s: password_hash: want \"*\" and 40 hex digits (SHA1(SHA1(password)), as MySQL's PASSWORD())", u.Name)
		}
		copy(c.native[:], b)
		c.hasNative = true
	}
	if u.PasswordSHA2 != "" {
		b, err := hex.DecodeString(u.PasswordSHA2)
		if err != nil || len(b) != 32 {
			return c, fmt.Errorf("user %s: password_sha2: want 64 hex digits (SHA256(SHA256(password)))", u.Name)
		}
		copy(c.sha2[:], b)
		c.hasSHA2 = true
	}
	if !c.hasNative && !c.hasSHA2 {
		c = hashPassword("") // no password at all
	}
	return c, nil
}

// PasswordHashes returns the password_hash and password_sha2 config values
// of a password (for `shardline --hash-password`).
func PasswordHashes(pw string) (native, sha2 string) {
	c := hashPassword(pw)
	return "*" + strings.ToUpper(hex.EncodeToString(c.native[:])), hex.EncodeToString(c.sha2[:])
}

var errNoHashForMethod = errors.New("no password hash for this auth method")

// verifyNative checks a mysql_native_password response:
// token = SHA1(pw) XOR SHA1(salt + SHA1(SHA1(pw))); recover SHA1(pw) with
// the stored hash and check that it hashes to the stored hash.
func (c *credential) verifyNative(salt, token []byte) (bool, error) {
	if !c.hasNative {
		return false, errNoHashForMethod
	}
	if len(token) == 0 {
		return c.empty, nil
	}
	if len(token) != 20 {
		return false, nil
	}
	h := sha1.New()
	h.Write(salt)
	h.Write(c.native[:])
	mix := h.Sum(nil)
	stage1 := make([]byte, 20)
	for i := range stage1 {
		stage1[i] = token[i] ^ mix[i]
	}
	got := sha1.Sum(stage1)
	return subtle.ConstantTimeCompare(got[:], c.native[:]) == 1, nil
}

// verifySHA2 checks a caching_sha2_password fast-path response:
// token = SHA256(pw) XOR SHA256(SHA256(SHA256(pw)) + salt).
func (c *credential) verifySHA2(salt, token []byte) (bool, error) {
	if !c.hasSHA2 {
		return false, errNoHashForMethod
	}
	if len(token) == 0 {
		return c.empty, nil
	}
	if len(token) != 32 {
		return false, nil
	}
	h := sha256.New()
	h.Write(c.sha2[:])
	h.Write(salt)
	mix := h.Sum(nil)
	stage1 := make([]byte, 32)
	for i := range stage1 {
		stage1[i] = token[i] ^ mix[i]
	}
	got := sha256.Sum256(stage1)
	return subtle.ConstantTimeCompare(got[:], c.sha2[:]) == 1, nil
}
