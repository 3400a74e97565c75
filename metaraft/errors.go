package metaraft

import "errors"

// Sentinel errors; compare with errors.Is. They survive forwarding: a
// follower rebuilds the leader's error around the same sentinel.
var (
	// ErrNotLeader: this node is not the leader (and the call does not forward).
	ErrNotLeader = errors.New("metaraft: not the leader")
	// ErrNoLeader: no leader is known right now; retry later.
	ErrNoLeader = errors.New("metaraft: no leader")
	// ErrIndeterminate: the write may or may not have been committed
	// (leadership lost, timeout, forwarding failure after sending).
	ErrIndeterminate = errors.New("metaraft: outcome of the write is unknown")
	// ErrVersionConflict: the If-Match version is not the map's version.
	ErrVersionConflict = errors.New("metaraft: shard map version conflict")
	// ErrInvalid: the change would make an invalid shard map, or the request
	// itself is malformed; the message names the field.
	ErrInvalid = errors.New("metaraft: invalid")
	// ErrNotFound: the shard, schema or table does not exist.
	ErrNotFound = errors.New("metaraft: not found")
	// ErrInUse: the shard is still referenced by a schema or table.
	ErrInUse = errors.New("metaraft: in use")
	// ErrDecisionExpired: a decision older than the GC horizon was proposed;
	// it might collide with a decision already collected, so it is refused.
	ErrDecisionExpired = errors.New("metaraft: decision older than the GC horizon")
	// ErrClosed: the node is closed.
	ErrClosed = errors.New("metaraft: node closed")
)

// errorCodes maps sentinels to their wire codes (forwarding).
var errorCodes = []struct {
	code string
	err  error
}{
	{"not_leader", ErrNotLeader},
	{"no_leader", ErrNoLeader},
	{"indeterminate", ErrIndeterminate},
	{"version_conflict", ErrVersionConflict},
	{"invalid", ErrInvalid},
	{"not_found", ErrNotFound},
	{"in_use", ErrInUse},
	{"decision_expired", ErrDecisionExpired},
	{"closed", ErrClosed},
}

func errorCode(err error) string {
	for _, c := range errorCodes {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	return "internal"
}

// remoteError is an error returned by the leader to a forwarding follower.
type remoteError struct {
	msg      string
	sentinel error
}

func (e *remoteError) Error() string { return e.msg }
func (e *remoteError) Unwrap() error { return e.sentinel }

func decodeError(code, msg string) error {
	for _, c := range errorCodes {
		if c.code == code {
			return &remoteError{msg: msg, sentinel: c.err}
		}
	}
	return &remoteError{msg: msg}
}
