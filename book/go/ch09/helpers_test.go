package ch09

import (
	"runtime"
	"sync"
	"testing"
	"time"
)

// failureGuard turns a hang into a failed test; it never decides whether a test passes.
const failureGuard = 10 * time.Second

// receive waits for a value on ch, failing the test after failureGuard.
func receive[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(failureGuard):
		t.Fatal("timed out")
		panic("unreachable")
	}
}

// eventually polls cond until it holds, failing the test after failureGuard.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(failureGuard)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		runtime.Gosched()
	}
}

// ANCHOR: fake_clock
// fakeClock is a clock that moves only when the test says: its Now is the bucket's now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// ANCHOR_END: fake_clock
