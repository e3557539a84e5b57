package main

import (
	"fmt"
	"os"
	"runtime"

	"github.com/kage-cli/kage/scope"
)

// checkNamespaces checks the namespace memberships kage keeps, and, for
// the current directory, a .git kage does not take as a repository and a
// kage.namespace an earlier kage left in the repository's git config. It
// adds nothing where there is nothing to say, as for most users.
func (d *doctorRun) checkNamespaces() {
	path := displayPath(scope.MembershipPath(d.e.paths.Data))
	ms, err := scope.Members(d.e.paths.Data)
	switch {
	case err != nil:
		d.add("namespaces", statusFail, err.Error(), hintOf(err))
		return
	case len(ms) > 0:
		what := fmt.Sprintf("%d repositories", len(ms))
		if len(ms) == 1 {
			what = "1 repository"
		}
		d.add("namespaces", statusOK, fmt.Sprintf("%s records the namespace of %s", path, what), "")
		if fi, err := os.Stat(scope.MembershipPath(d.e.paths.Data)); err == nil && runtime.GOOS != "windows" && fi.Mode().Perm()&0o022 != 0 {
			d.add("namespaces", statusWarn, fmt.Sprintf("%s is mode %04o: others can move your repositories into namespaces", path, fi.Mode().Perm()),
				"chmod 600 "+fixPath(path))
		}
	}
	c, err := d.e.detect(nil, "")
	if err != nil {
		// checkConfig reports why the context cannot be found.
		return
	}
	if c.Ignored != "" {
		d.add("namespaces", statusWarn, c.Ignored, "")
	}
	notice, fix, err := gitNamespaceNotice(c)
	if err != nil {
		d.add("namespaces", statusWarn, "cannot look for a namespace left in this repository's git config: "+err.Error(), "")
		return
	}
	if notice != "" {
		d.add("namespaces", statusWarn, notice, fix)
	}
}
