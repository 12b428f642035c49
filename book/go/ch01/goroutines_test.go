package ch01

import (
	"runtime"
	"testing"
)

// ANCHOR: cheap
// A goroutine blocked on a channel costs a few kilobytes of stack: ten thousand of them take
// tens of megabytes, where ten thousand threads would reserve gigabytes of address space.
func TestAGoroutineCostsAFewKilobytes(t *testing.T) {
	const n = 10_000
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	release := make(chan struct{})
	parked := make(chan struct{}, n)
	for i := 0; i < n; i++ {
		go func() { parked <- struct{}{}; <-release }()
	}
	for i := 0; i < n; i++ {
		<-parked
	}
	runtime.ReadMemStats(&after)
	close(release)
	perGoroutine := (after.StackInuse - before.StackInuse) / n
	t.Logf("%d bytes of stack per parked goroutine", perGoroutine)
	if perGoroutine > 16<<10 {
		t.Fatalf("%d bytes of stack per goroutine", perGoroutine)
	}
}

// ANCHOR_END: cheap
