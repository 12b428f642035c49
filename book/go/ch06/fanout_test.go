package ch06

import (
	"bookgo/internal/testwait"
	"context"
	"runtime"
	"strings"
	"testing"
)

// parked counts the goroutines running fn that are parked in state ("chan send", "select"),
// in one snapshot of every goroutine's stack, taken with the world stopped.
func parked(fn, state string) int {
	buf := make([]byte, 1<<20)
	n := 0
	for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
		header := strings.SplitN(g, "\n", 2)[0]
		if strings.Contains(g, fn+"(") && strings.Contains(header, "["+state) {
			n++
		}
	}
	return n
}

func TestKnownCounts(t *testing.T) {
	for _, c := range []struct{ limit, primes int }{{1_000_000, 78498}, {10_000_000, 664579}} {
		got, err := CountPrimes(context.Background(), c.limit, 16, 4)
		if err != nil || got != c.primes {
			t.Fatalf("below %d: %d, %v; want %d", c.limit, got, err, c.primes)
		}
	}
}

// Each part's count, in input order, against a plain sieve of the whole range.
func TestPerPartMatchesAPlainSieve(t *testing.T) {
	const limit, parts = 1_000_000, 10
	counts, err := PerPart(context.Background(), limit, parts, 4)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]int, parts)
	for _, p := range primesUpTo(limit - 1) {
		want[p/(limit/parts)]++
	}
	for i := range want {
		if counts[i] != want[i] {
			t.Fatalf("part %d: %d primes, want %d", i, counts[i], want[i])
		}
	}
}

// ANCHOR: as_they_come_test
// Fan-in gives the counts in the order the workers finish, not the order of the input:
// here part 0 is held until part 1's count has come.
func TestCountsComeAsTheWorkersFinish(t *testing.T) {
	open := make(chan struct{})
	count := func(p Part) int {
		if p.Index == 0 {
			<-open
		}
		return p.Index
	}
	ctx := context.Background()
	results := FanOut(ctx, Feed(ctx, Split(10, 2)), 2, count)
	if first := <-results; first.Index != 1 {
		t.Fatalf("first came part %d", first.Index)
	}
	close(open)
	if second := <-results; second.Index != 0 {
		t.Fatalf("second came part %d", second.Index)
	}
	if _, ok := <-results; ok {
		t.Fatal("results still open after both parts")
	}
}

// ANCHOR_END: as_they_come_test

func TestInOrderPutsEachCountInItsPlace(t *testing.T) {
	results := make(chan Count, 3)
	results <- Count{Index: 2, Primes: 30}
	results <- Count{Index: 0, Primes: 10}
	results <- Count{Index: 1, Primes: 20}
	close(results)
	counts, ok := InOrder(results, 3)
	if !ok || counts[0] != 10 || counts[1] != 20 || counts[2] != 30 {
		t.Fatalf("%v %v", counts, ok)
	}
}

// A worker checks ctx before each part: with ctx already cancelled, no part is counted, and
// CountPrimes reports why.
func TestACancelledContextCountsNoPart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	count := func(Part) int { t.Error("a part was counted"); return 0 }
	for range FanOut(ctx, Feed(ctx, Split(1000, 10)), 4, count) {
		t.Error("a count came")
	}
	if _, err := CountPrimes(ctx, 1000, 10, 4); err != context.Canceled {
		t.Fatalf("err = %v", err)
	}
}

// A cancel during part 0 stops the worker before part 1: ctx is checked per part, not only
// at the start.
func TestCancellingMidwayStopsBeforeTheNextPart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	counted := 0
	count := func(Part) int { counted++; cancel(); return 0 }
	for range FanOut(ctx, Feed(ctx, Split(1000, 10)), 1, count) {
	}
	if counted != 1 {
		t.Fatalf("%d parts counted", counted)
	}
}

// ANCHOR: cancel_test
// The consumer takes one count and stops reading: the workers, each with a count to send,
// park on their sends. Cancelling ctx frees them, and the feeder and the closer with them:
// the number of goroutines is back where it was.
func TestAConsumerThatStopsEarlyLeaksNothingWhenItCancels(t *testing.T) {
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	results := FanOut(ctx, Feed(ctx, Split(1_000_000, 100)), 4, Counter(1_000_000))
	<-results
	testwait.Eventually(t, "every worker parked on its send", func() bool {
		return parked("ch06.worker", "select") == 4
	})
	t.Logf("goroutines: %d before, %d with the consumer gone", before, runtime.NumGoroutine())
	cancel()
	testwait.Eventually(t, "goroutines back to the baseline", func() bool {
		return runtime.NumGoroutine() <= before
	})
}

// ANCHOR_END: cancel_test

// AtLeast returns as soon as it knows, and its deferred cancel leaves nothing running.
func TestAtLeastLeavesNothingRunning(t *testing.T) {
	before := runtime.NumGoroutine()
	ctx := context.Background()
	if !AtLeast(ctx, 10_000_000, 1000, 100, 4) {
		t.Fatal("fewer than 1000 primes below 10^7")
	}
	if !AtLeast(ctx, 1_000_000, 78498, 10, 4) || AtLeast(ctx, 1_000_000, 78499, 10, 4) {
		t.Fatal("wrong answer at the exact count")
	}
	testwait.Eventually(t, "goroutines back to the baseline", func() bool {
		return runtime.NumGoroutine() <= before
	})
}

// ANCHOR: leak_test
// Without ctx, the same early stop strands every worker on a send nobody will receive.
// The test then reads the rest of the counts, only so that it leaks nothing itself.
func TestWithoutCtxAConsumerThatStopsEarlyLeaksTheWorkers(t *testing.T) {
	before := runtime.NumGoroutine()
	in := make(chan Part, 20)
	for _, p := range Split(100_000, 20) {
		in <- p
	}
	close(in)
	results := FanOutLeaky(in, 4, Counter(100_000))
	<-results // the consumer takes one count and stops reading
	testwait.Eventually(t, "every worker parked on its send", func() bool {
		return parked("ch06.FanOutLeaky.func1", "chan send") == 4
	})
	t.Logf("goroutines: %d before, %d leaked", before, runtime.NumGoroutine()-before)
	for range results { // release them
	}
	testwait.Eventually(t, "goroutines back to the baseline", func() bool {
		return runtime.NumGoroutine() <= before
	})
}

// ANCHOR_END: leak_test
