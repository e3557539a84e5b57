package keyring

// A fileStamp tells whether the file at a path is still the one a File
// read: another file put in its place (kage's writers rename a new file
// over it) has another inode, and one written in place a new change time,
// which only the kernel sets.
type fileStamp struct {
	dev, ino     uint64
	size         int64
	mtime, ctime int64
}
