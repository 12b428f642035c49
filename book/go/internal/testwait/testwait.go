// Package testwait holds the waits the book's Go tests share: each turns a hang into a
// failed test after Guard, and never decides whether a test passes.
package testwait

import (
	"runtime"
	"testing"
	"time"
)

// Guard is how long a test waits before it fails instead of hanging.
const Guard = 10 * time.Second

// Receive waits for a value on ch, failing the test after Guard.
func Receive[T any](t testing.TB, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(Guard):
		t.Fatal("timed out")
		panic("unreachable")
	}
}

// Eventually polls cond until it holds, failing the test after Guard.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(Guard)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		runtime.Gosched()
	}
}
