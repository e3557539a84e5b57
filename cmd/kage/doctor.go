package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/kage-cli/kage/config"
	"github.com/kage-cli/kage/doctor"
	"github.com/kage-cli/kage/internal/display"
	"github.com/kage-cli/kage/scope"
	"github.com/urfave/cli/v3"
)

func doctorCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "doctor",
		Usage: "check the keychain, config, index and hook, and say how to fix what is wrong",
		Description: `Checks that the keychain answers, that config.toml parses, that the index
and the keychain agree, that kage's files are private, that every
subscription binding has its key, and that the prompt hook is in your
shell's rc file: one line per finding, with its fix. Exits 1 when something
is wrong (FAIL); warnings alone exit 0. It never reads a secret's value.

--fix rebuilds the index from the keychain: it adds the kage items the index
lacks (never one under a name kage refuses that was not stored with
--force: that is reported, with how to delete it), drops the entries whose
item is gone, and moves a corrupt index aside
(index.json.corrupt-<time>). It drops the bindings to subscriptions whose key
is gone, and deletes the stale keys an interrupted kage subscription add --env
leaves beside a subscription's key. It never deletes or changes any other
keychain item. On the file backend, it accepts a secrets file kage refused
— one with no MAC from your identity (an older kage's, or one written with
the age CLI) or older than the one kage last saw here (a backup restore) —
and re-signs it: run it only for a file you wrote or restored yourself.

   kage doctor
   kage doctor --fix
   kage doctor --json | jq '.[] | select(.status == "fail")'`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "fix", Usage: "repair the index from the keychain, drop dangling subscription bindings (deletes only stale subscription keys) and make kage's own files private"},
			&cli.BoolFlag{Name: "json", Usage: "print the findings as JSON"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := wantArgs(cmd, 0, "no arguments"); err != nil {
				return err
			}
			return doctorMain(ctx, e, cmd.Bool("fix"), cmd.Bool("json"))
		},
	}
}

// doctorHost gives the checks this kage's own rules for the store, the
// scopes and the hook, so that doctor checks what the other commands use.
func doctorHost(e *env) doctor.Host {
	return doctor.Host{
		Paths:   e.paths,
		Getenv:  e.getenv,
		Now:     e.now,
		Backend: e.backendName,
		Context: func(c *config.Config) (*scope.Context, error) {
			e.cfg = c
			return e.detect(nil, "")
		},
		SecretsFile:  e.secretsFile,
		FileKey:      e.fileKey,
		FileStore:    e.fileStore,
		GitNamespace: gitNamespaceNotice,
		HookVar:      stateVar,
	}
}

func doctorMain(ctx context.Context, e *env, fix, asJSON bool) error {
	findings, err := doctor.Run(ctx, doctorHost(e), doctor.Options{Fix: fix})
	if err != nil {
		return err
	}
	if asJSON {
		if err := display.JSON(e.stdout, findings); err != nil {
			return err
		}
	} else {
		color := useColor(e.stdout)
		var b strings.Builder
		for _, f := range findings {
			b.WriteString(findingLine(f, color))
			b.WriteByte('\n')
		}
		if _, err := fmt.Fprint(e.stdout, b.String()); err != nil {
			return err
		}
	}
	return verdict(findings)
}

// verdict is nil, or the one-line summary report prints, exiting 1.
func verdict(findings []doctor.Finding) error {
	var fails int
	for _, f := range findings {
		if f.Status == doctor.Fail {
			fails++
		}
	}
	if fails == 0 {
		return nil
	}
	msg := "1 problem found"
	if fails > 1 {
		msg = fmt.Sprintf("%d problems found", fails)
	}
	var err error = errors.New(msg)
	if does := doctor.Repairs(findings); len(does) > 0 {
		hint := "kage doctor --fix " + strings.Join(does, ", ")
		if slices.Contains(does, doctor.RepairStale) {
			hint += "; it deletes no other secret"
		} else {
			hint += "; it never deletes a secret"
		}
		err = withHint(err, hint)
	}
	return &exitError{code: exitFailure, err: err}
}

var statusLabel = map[doctor.Status]string{
	doctor.OK: "ok", doctor.Warn: "warn", doctor.Fail: "FAIL", doctor.Skip: "skip", doctor.Fixed: "fix",
}

var statusColor = map[doctor.Status]string{
	doctor.OK: "\x1b[32m", doctor.Warn: "\x1b[33m", doctor.Fail: "\x1b[1;31m", doctor.Skip: "\x1b[2m", doctor.Fixed: "\x1b[36m",
}

// findingLine is the finding as doctor prints it: a label padded to four
// columns, the message, and the fix.
func findingLine(f doctor.Finding, color bool) string {
	label := fmt.Sprintf("%-4s", statusLabel[f.Status])
	if color {
		label = statusColor[f.Status] + label + "\x1b[0m"
	}
	s := label + " " + f.Message
	if f.Fix != "" {
		s += " — fix: " + f.Fix
	}
	return display.OneLine(s)
}
