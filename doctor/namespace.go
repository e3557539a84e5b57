package doctor

import (
	"fmt"
	"os"
	"runtime"

	"github.com/kage-cli/kage/internal/display"
	"github.com/kage-cli/kage/scope"
)

// checkNamespaces checks the namespace memberships kage keeps, and, for
// the current directory, a .git kage does not take as a repository and a
// kage.namespace an earlier kage left in the repository's git config. It
// adds nothing where there is nothing to say, as for most users.
func (d *run) checkNamespaces() {
	path := display.Path(scope.MembershipPath(d.h.Paths.Data))
	ms, err := scope.Members(d.h.Paths.Data)
	switch {
	case err != nil:
		d.add("namespaces", Fail, err.Error(), hintOf(err))
		return
	case len(ms) > 0:
		what := fmt.Sprintf("%d repositories", len(ms))
		if len(ms) == 1 {
			what = "1 repository"
		}
		d.add("namespaces", OK, fmt.Sprintf("%s records the namespace of %s", path, what), "")
		if fi, err := os.Stat(scope.MembershipPath(d.h.Paths.Data)); err == nil && runtime.GOOS != "windows" && fi.Mode().Perm()&0o022 != 0 {
			d.add("namespaces", Warn, fmt.Sprintf("%s is mode %04o: others can move your repositories into namespaces", path, fi.Mode().Perm()),
				"chmod 600 "+display.ShellPath(path))
		}
	}
	if d.cfg == nil {
		return // checkConfig says why
	}
	c, err := d.h.Context(d.cfg)
	if err != nil {
		// checkConfig reports why the context cannot be found.
		return
	}
	if c.Ignored != "" {
		d.add("namespaces", Warn, c.Ignored, "")
	}
	notice, fix, err := d.h.GitNamespace(c)
	if err != nil {
		d.add("namespaces", Warn, "cannot look for a namespace left in this repository's git config: "+err.Error(), "")
		return
	}
	if notice != "" {
		d.add("namespaces", Warn, notice, fix)
	}
}
