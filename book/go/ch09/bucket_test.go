package ch09

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// ANCHOR: bucket_test
// A burst of four against a bucket of three: three allowed, the fourth refused and told to
// wait 100ms. A nanosecond before then it is still refused; at that instant, allowed.
func TestABurstThenATokenBackExactlyOnTime(t *testing.T) {
	clock := newFakeClock()
	bucket := NewBucket(100*time.Millisecond, 3, clock.Now)
	for i := 1; i <= 3; i++ {
		if !bucket.Allow() {
			t.Fatalf("request %d refused", i)
		}
	}
	if wait, ok := bucket.Take(); ok || wait != 100*time.Millisecond {
		t.Fatalf("request 4: ok %v, wait %v", ok, wait)
	}
	clock.Advance(100*time.Millisecond - time.Nanosecond)
	if wait, ok := bucket.Take(); ok || wait != time.Nanosecond {
		t.Fatalf("1ns early: ok %v, wait %v", ok, wait)
	}
	clock.Advance(time.Nanosecond)
	if !bucket.Allow() {
		t.Fatal("refused when the token was due")
	}
	if wait, ok := bucket.Take(); ok || wait != 100*time.Millisecond {
		t.Fatalf("the next: ok %v, wait %v", ok, wait)
	}
}

// ANCHOR_END: bucket_test

// ANCHOR: bucket_idle
// Time spent full is not saved: after an hour idle, a burst is all there is. Time toward a
// token is saved: 150ms after emptying, one token is back and the next is due in 50ms.
func TestIdleTimeBuysABurstNoMore(t *testing.T) {
	clock := newFakeClock()
	bucket := NewBucket(100*time.Millisecond, 3, clock.Now)
	clock.Advance(time.Hour)
	allowed := 0
	for bucket.Allow() {
		allowed++
	}
	if allowed != 3 {
		t.Fatalf("%d allowed after an hour idle", allowed)
	}
	clock.Advance(150 * time.Millisecond)
	if !bucket.Allow() {
		t.Fatal("no token after 150ms")
	}
	if wait, ok := bucket.Take(); ok || wait != 50*time.Millisecond {
		t.Fatalf("ok %v, wait %v", ok, wait)
	}
}

// ANCHOR_END: bucket_idle

// With the clock stopped, a hundred goroutines at once get exactly burst tokens between
// them: the mutex makes each refill-and-take one step.
func TestABucketSharedByGoroutines(t *testing.T) {
	clock := newFakeClock()
	bucket := NewBucket(time.Second, 10, clock.Now)
	var allowed atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if bucket.Allow() {
				allowed.Add(1)
			}
		}()
	}
	wg.Wait()
	if allowed.Load() != 10 {
		t.Fatalf("%d allowed", allowed.Load())
	}
}

// fullAt is when the bucket is full again, and refilling does not move it.
func TestFullAt(t *testing.T) {
	clock := newFakeClock()
	start := clock.Now()
	bucket := NewBucket(100*time.Millisecond, 3, clock.Now)
	bucket.Allow()
	bucket.Allow()
	if at := bucket.fullAt(); !at.Equal(start.Add(200 * time.Millisecond)) {
		t.Fatalf("full at %v", at.Sub(start))
	}
	clock.Advance(150 * time.Millisecond)
	bucket.refill(clock.Now())
	if at := bucket.fullAt(); !at.Equal(start.Add(200 * time.Millisecond)) {
		t.Fatalf("after a refill, full at %v", at.Sub(start))
	}
}
