package main

import (
	"bytes"
	"io"
	"os"

	"filippo.io/age"
	"github.com/rogpeppe/go-internal/testscript"
)

// cmdAgeFile writes and reads age files for scripts, as someone without
// kage would with the age CLI (which CI does not install):
//
//	agefile forge IDENTITY PLAIN OUT    encrypt PLAIN to IDENTITY's public key
//	                                    alone: all a forger needs
//	agefile decrypt IDENTITY IN OUT     decrypt IN with IDENTITY
func cmdAgeFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 4 || (args[0] != "forge" && args[0] != "decrypt") {
		ts.Fatalf("usage: agefile forge|decrypt IDENTITY IN OUT")
	}
	idText, err := os.ReadFile(ts.MkAbs(args[1]))
	ts.Check(err)
	ids, err := age.ParseIdentities(bytes.NewReader(idText))
	ts.Check(err)
	in, err := os.ReadFile(ts.MkAbs(args[2]))
	ts.Check(err)
	var out bytes.Buffer
	if args[0] == "forge" {
		// Only the recipient, which is public, goes into the file.
		rcpt, err := age.ParseX25519Recipient(ids[0].(*age.X25519Identity).Recipient().String())
		ts.Check(err)
		w, err := age.Encrypt(&out, rcpt)
		ts.Check(err)
		_, err = w.Write(in)
		ts.Check(err)
		ts.Check(w.Close())
	} else {
		r, err := age.Decrypt(bytes.NewReader(in), ids...)
		ts.Check(err)
		_, err = io.Copy(&out, r)
		ts.Check(err)
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[3]), out.Bytes(), 0o600))
}
