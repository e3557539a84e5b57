package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
)

// BenchmarkParallelEnv starts 10 and 20 `kage env` at once over 1,000
// secrets, as a user starting that many agents does, next to as many
// copies of minimal reading the same 1,000 secrets at once. Every copy
// must succeed: a busy daemon is not a dead one (before the bound was on
// silence, every one of 10 or 20 failed after 3 s). The goal: within 1.3×
// of minimal.
func BenchmarkParallelEnv(b *testing.B) {
	const n = 1000
	l := newLayout(b, 0)
	importSecrets(b, l, n)
	l.listSecrets(b, n)
	fanout := buildProgram(b, "github.com/kage-cli/kage/bench/fanout")
	for _, copies := range []int{10, 20} {
		all := func(out []byte) error {
			for _, name := range []string{"SECRET_000", fmt.Sprintf("SECRET_%03d", n-1)} {
				if c := bytes.Count(out, []byte(name+"=")); c != copies {
					return fmt.Errorf("%s appears %d times, want %d", name, c, copies)
				}
			}
			// kage quotes the value, minimal does not.
			if c := bytes.Count(out, []byte("s3cr3t-")); c != copies*n {
				return fmt.Errorf("%d values, want %d", c, copies*n)
			}
			return nil
		}
		// Each round takes seconds: 5 are enough for a median.
		compareAtMost(b, fmt.Sprintf("env-1000-secrets-%d-at-once", copies), goal{Max: 1.3}, 5,
			l.in(all, fanout, fmt.Sprint(copies), l.bins.kage, "env", "--shell", "bash"),
			fmt.Sprintf("%d minimal at once", copies),
			l.in(all, fanout, append([]string{fmt.Sprint(copies), l.bins.minimal}, l.pairs...)...))
	}
}

// listSecrets fills the layout's pairs and names from kage secret list,
// after secrets were stored some other way than newLayoutFor's.
func (l *layout) listSecrets(b *testing.B, n int) {
	b.Helper()
	var listed []struct{ Scope, Name string }
	if err := json.Unmarshal(l.run(b, "", l.bins.kage, "secret", "list", "--json"), &listed); err != nil {
		b.Fatal(err)
	}
	if len(listed) != n {
		b.Fatalf("kage secret list shows %d secrets, want %d", len(listed), n)
	}
	l.pairs, l.names = nil, nil
	for _, e := range listed {
		l.pairs = append(l.pairs, e.Scope, e.Name)
		l.names = append(l.names, e.Name)
	}
}
