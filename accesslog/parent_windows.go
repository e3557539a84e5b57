package accesslog

import (
	"os"
	"unsafe"

	"golang.org/x/sys/windows"
)

// Parent is the process that started this one, and its executable's file
// name from a process snapshot (never its command line).
func Parent() Process {
	p := Process{PID: os.Getppid()}
	snap, err := windows.CreateToolhelp32Snapshot(windows.TH32CS_SNAPPROCESS, 0)
	if err != nil {
		return p
	}
	defer windows.CloseHandle(snap)
	var pe windows.ProcessEntry32
	pe.Size = uint32(unsafe.Sizeof(pe))
	for err = windows.Process32First(snap, &pe); err == nil; err = windows.Process32Next(snap, &pe) {
		if int(pe.ProcessID) == p.PID {
			p.Name = windows.UTF16ToString(pe.ExeFile[:])
			break
		}
	}
	return p
}
