package doctor

import (
	"fmt"
	"time"

	"github.com/kage-cli/kage/internal/display"
	"github.com/kage-cli/kage/keyring"
	"github.com/kage-cli/kage/subscription"
)

// ExpiringWithin is how far ahead the expiry check warns of a secret
// coming due.
const ExpiringWithin = 14 * 24 * time.Hour

// checkExpiry fails on each secret past its expiry and warns of each due
// within ExpiringWithin; nothing is said when no secret has an expiry.
func (d *run) checkExpiry(entries []keyring.Entry) {
	const check = "expiry"
	now := d.h.Now()
	with := 0
	for _, en := range entries {
		if en.Expires.IsZero() {
			continue
		}
		with++
		day := en.Expires.Local().Format(time.DateOnly)
		switch {
		case !en.Expires.After(now):
			d.add(check, Fail, fmt.Sprintf("%s expired on %s; it is still handed out", describeRef(en.Scope, en.Name), day), rotateFix(en))
		case en.Expires.Before(now.Add(ExpiringWithin)):
			d.add(check, Warn, fmt.Sprintf("%s expires on %s, in %s", describeRef(en.Scope, en.Name), day, countOf(int((en.Expires.Sub(now)+24*time.Hour-1)/(24*time.Hour)), "day")), rotateFix(en))
		}
	}
	if with > 0 && !d.has(check) {
		verb := "have"
		if with == 1 {
			verb = "has"
		}
		d.add(check, OK, fmt.Sprintf("%s %s an expiry; none is due within 14 days", countOf(with, "secret"), verb), "")
	}
}

// rotateFix is the command that sets a new value for en.
func rotateFix(en keyring.Entry) string {
	if sub, ok := subscription.FromScope(en.Scope); ok {
		return "rotate the key: kage subscription add --name " + sub + " --overwrite"
	}
	return fmt.Sprintf("rotate it: kage secret set %s --scope %s", en.Name, display.ShellWord(display.Scope(en.Scope)))
}

// has reports whether a check has a finding yet.
func (d *run) has(check string) bool {
	for _, f := range d.findings {
		if f.Check == check {
			return true
		}
	}
	return false
}
