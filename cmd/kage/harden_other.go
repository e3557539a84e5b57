//go:build !linux

package main

// harden has nothing to set here beyond what the system does.
func harden() {}

// unharden undoes harden before kage exec runs a program.
func unharden() {}
