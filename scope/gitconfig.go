package scope

import "fmt"

// IgnoredGitNamespace returns the kage.namespace that c's repository keeps
// in its local git config, where earlier versions of kage recorded
// memberships, and the file it is in. kage no longer honours it — whoever
// made the folder wrote that file — but reports it so that a user can
// accept it deliberately with kage namespace set. The value is as written
// (valid or not); "" when there is none or c is outside a repository.
func IgnoredGitNamespace(c *Context) (value, file string, err error) {
	if c == nil || c.Repo == "" || c.commonDir == "" {
		return "", "", nil
	}
	file = repoInfo{commonDir: c.commonDir}.cfgFile()
	cfg, err := loadGitConfig(file)
	if err != nil {
		return "", file, err
	}
	// A valueless "namespace" (boolean true to git) reads as "", like
	// git config --get prints it: no namespace.
	e, _ := cfg.get("kage.namespace")
	return e.value, file, nil
}

// NamespaceWord writes a namespace name found in a file for a message: as
// is when it is a valid name (in any case), quoted and escaped otherwise.
func NamespaceWord(v string) string {
	if _, err := normalizeNamespace(v); err == nil {
		return v
	}
	return fmt.Sprintf("%q", v)
}
