package keyring

import (
	"context"
	"io"

	"github.com/kage-cli/kage/internal/atomicfile"
)

// lockFile takes a writer's lock (atomicfile.Lock).
func lockFile(ctx context.Context, path, what string) (unlock func(), err error) {
	return atomicfile.Lock(ctx, path, what)
}

// writeTemp writes a private, synced file beside target for a later rename
// (atomicfile.WriteTemp).
func writeTemp(target, what string, write func(io.Writer) error) (string, error) {
	return atomicfile.WriteTemp(target, what, write)
}

// removeTemps removes what killed writers left beside target
// (atomicfile.RemoveTemps); call it holding target's lock.
func removeTemps(target string) { atomicfile.RemoveTemps(target) }

// syncDir makes a rename durable (atomicfile.SyncDir).
func syncDir(dir string) { atomicfile.SyncDir(dir) }

// pathErr drops the *PathError wrapper so the path is not named twice.
func pathErr(err error) string { return atomicfile.PathErr(err) }
