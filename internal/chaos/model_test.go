package chaos

import (
	"math"
	"testing"

	"github.com/anishathalye/porcupine"
)

// TestRegisterModel checks the porcupine model used by
// TestChaosDecisionRegister on hand-made histories. If it fails, the model
// accepts a history with two outcomes for one gtrid or a lookup that
// misses an acknowledged decision (so the chaos test could not fail), or it
// rejects a legal history (a false alarm).
func TestRegisterModel(t *testing.T) {
	op := func(call, ret int64, in regInput, out regOutput) porcupine.Operation {
		return porcupine.Operation{Input: in, Output: out, Call: call, Return: ret}
	}
	rec := func(g, o string) regInput { return regInput{Gtrid: g, Record: o} }
	look := regInput{Gtrid: "g"}
	for _, tc := range []struct {
		name    string
		history []porcupine.Operation
		want    porcupine.CheckResult
	}{
		{"first wins", []porcupine.Operation{
			op(0, 10, rec("g", "commit"), regOutput{Outcome: "commit", Found: true}),
			op(5, 20, rec("g", "abort"), regOutput{Outcome: "commit", Found: true}),
			op(30, 40, look, regOutput{Outcome: "commit", Found: true}),
		}, porcupine.Ok},
		{"two outcomes", []porcupine.Operation{
			op(0, 10, rec("g", "commit"), regOutput{Outcome: "commit", Found: true}),
			op(20, 30, rec("g", "abort"), regOutput{Outcome: "abort", Found: true}),
		}, porcupine.Illegal},
		{"stale lookup", []porcupine.Operation{
			op(0, 10, rec("g", "abort"), regOutput{Outcome: "abort", Found: true}),
			op(20, 30, look, regOutput{}),
		}, porcupine.Illegal},
		{"failed record may apply", []porcupine.Operation{
			op(0, math.MaxInt64, rec("g", "abort"), regOutput{Err: "leader killed"}),
			op(20, 30, look, regOutput{}),
			op(40, 50, look, regOutput{Outcome: "abort", Found: true}),
		}, porcupine.Ok},
		{"failed record never undone", []porcupine.Operation{
			op(0, math.MaxInt64, rec("g", "abort"), regOutput{Err: "leader killed"}),
			op(20, 30, look, regOutput{Outcome: "abort", Found: true}),
			op(40, 50, look, regOutput{}),
		}, porcupine.Illegal},
		{"gtrids independent", []porcupine.Operation{
			op(0, 10, rec("g", "commit"), regOutput{Outcome: "commit", Found: true}),
			op(20, 30, rec("h", "abort"), regOutput{Outcome: "abort", Found: true}),
		}, porcupine.Ok},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := porcupine.CheckOperations(registerModel.ToModel(), tc.history); got != (tc.want == porcupine.Ok) {
				t.Errorf("linearizable = %v, want %v", got, tc.want == porcupine.Ok)
			}
		})
	}
}
