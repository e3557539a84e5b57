package main

import "golang.org/x/sys/unix"

// coreLimit is the core-dump limit kage started with, for the program
// kage exec runs: rlimits survive exec, and that program's dumps are its
// user's business.
var coreLimit *unix.Rlimit

// harden keeps secrets out of core dumps: kage holds values in memory while
// it runs, and a crash must not write them to disk. Not dumpable also keeps
// other processes of the user from ptrace-attaching to read them. Failures
// are ignored: they only weaken a defence in depth.
func harden() {
	var old unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_CORE, &old) == nil {
		coreLimit = &old
	}
	_ = unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{Cur: 0, Max: old.Max})
	_ = unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
}

// unharden gives an exec'd program the core-dump limit kage started with;
// exec itself makes it dumpable again.
func unharden() {
	if coreLimit != nil {
		_ = unix.Setrlimit(unix.RLIMIT_CORE, coreLimit)
	}
}
