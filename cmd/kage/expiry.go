package main

import (
	"context"
	"fmt"
	"time"

	"github.com/kage-cli/kage/internal/when"
	"github.com/kage-cli/kage/keyring"
	"github.com/urfave/cli/v3"
)

// expiresFlag is --expires, for secret set and subscription add.
func expiresFlag() *cli.StringFlag {
	return &cli.StringFlag{Name: "expires", Usage: "due for rotation after a span (`90d`, 2w) or on a date (2027-03-01); never removes it"}
}

// expiresArg reads --expires: nil when it is not given, the zero Expiry
// for never. A span is kept with the expiry, so that setting the secret
// again moves it on as far.
func expiresArg(cmd *cli.Command, now time.Time) (*keyring.Expiry, error) {
	if !cmd.IsSet("expires") {
		return nil, nil
	}
	s := cmd.String("expires")
	if s == "never" {
		return &keyring.Expiry{}, nil
	}
	const hint = "--expires takes a span (90d, 2w, 36h), a date (2027-03-01) or never"
	at, d, err := when.Until(s, now)
	if err != nil {
		return nil, usagef(hint, "--expires: %s", err)
	}
	if !at.After(now) {
		return nil, usagef(hint, "--expires %s is in the past", s)
	}
	x := &keyring.Expiry{At: at}
	if d > 0 {
		x.Every = s
	}
	return x, nil
}

// canExpire refuses --expires on a store that keeps no expiry, before
// the value is asked for.
func canExpire(e *env, store keyring.Store, exp *keyring.Expiry) error {
	if exp == nil {
		return nil
	}
	if _, ok := store.(keyring.ExpirySetter); ok {
		return nil
	}
	name := "this"
	if c, err := e.config(); err == nil {
		name, _, _ = e.backendName(c)
	}
	return withHint(fmt.Errorf("the %s backend keeps no expiry", name), "leave out --expires, or use the keyring or file backend")
}

// setValue stores value, with exp as its expiry when it is not nil
// (canExpire said the store keeps one).
func setValue(ctx context.Context, store keyring.Store, scope, name string, value []byte, exp *keyring.Expiry) error {
	if exp == nil {
		return store.Set(ctx, scope, name, value)
	}
	return store.(keyring.ExpirySetter).SetExpiring(ctx, scope, name, value, *exp)
}

// dueFilter is secret list's --expired, --expiring and --older-than: nil
// when none is given, else whether an entry passes them all.
func dueFilter(cmd *cli.Command, now time.Time) (func(*keyring.Entry) bool, error) {
	var tests []func(*keyring.Entry) bool
	if cmd.Bool("expired") {
		tests = append(tests, func(en *keyring.Entry) bool { return !en.Expires.IsZero() && !en.Expires.After(now) })
	}
	for _, f := range []string{"expiring", "older-than"} {
		if !cmd.IsSet(f) {
			continue
		}
		d, err := when.Duration(cmd.String(f))
		if err != nil {
			return nil, usagef("", "--%s: %s", f, err)
		}
		if f == "expiring" {
			tests = append(tests, func(en *keyring.Entry) bool { return !en.Expires.IsZero() && !en.Expires.After(now.Add(d)) })
		} else {
			tests = append(tests, func(en *keyring.Entry) bool { return en.Updated.Before(now.Add(-d)) })
		}
	}
	if tests == nil {
		return nil, nil
	}
	return func(en *keyring.Entry) bool {
		for _, t := range tests {
			if !t(en) {
				return false
			}
		}
		return true
	}, nil
}

// expiresCell is a secret's expiry as secret list shows it: the date,
// and how far off it is or that it is past.
func expiresCell(now time.Time, en *keyring.Entry) string {
	if en.Expires.IsZero() {
		return "-"
	}
	day := en.Expires.Local().Format(time.DateOnly)
	d := en.Expires.Sub(now)
	switch {
	case d <= 0:
		return day + " (expired)"
	case d < 24*time.Hour:
		return day + " (today)"
	}
	if n := int((d + 24*time.Hour - 1) / (24 * time.Hour)); n > 1 {
		return fmt.Sprintf("%s (in %d days)", day, n)
	}
	return day + " (in 1 day)"
}

// expiresNote says what --expires set, for the "stored" line.
func expiresNote(exp *keyring.Expiry) string {
	switch {
	case exp == nil:
		return ""
	case exp.At.IsZero():
		return " (no expiry)"
	case exp.Every != "":
		return fmt.Sprintf(" (expires %s, %s after each set)", exp.At.Local().Format(time.DateOnly), exp.Every)
	}
	return fmt.Sprintf(" (expires %s)", exp.At.Local().Format(time.DateOnly))
}
