// Package ch06 is the Go side of chapter 6: the guide's §2 fan-out/fan-in, applied to counting
// the primes below a limit in parts, a segmented sieve. Every claim the chapter makes about Go
// is a test in fanout_test.go.
package ch06

import (
	"context"
	"math"
	"sync"
)

// ANCHOR: parts
// Part is one segment [Lo, Hi) of the numbers to sieve, and its place in the input.
type Part struct {
	Index, Lo, Hi int
}

// Count is a part's answer: how many primes lie in the part with that index.
type Count struct {
	Index, Primes int
}

// Split cuts [0, limit) into n parts of nearly equal size.
func Split(limit, n int) []Part {
	parts := make([]Part, n)
	for i := range parts {
		parts[i] = Part{Index: i, Lo: limit * i / n, Hi: limit * (i + 1) / n}
	}
	return parts
}

// ANCHOR_END: parts

// ANCHOR: sieve
// Counter sieves the base primes, up to √limit, once; the function it returns counts the
// primes in one part, crossing out their multiples there.
func Counter(limit int) func(Part) int {
	base := primesUpTo(int(math.Sqrt(float64(limit))) + 1)
	return func(p Part) int {
		composite := make([]bool, p.Hi-p.Lo)
		for _, b := range base {
			first := (p.Lo + b - 1) / b * b // the first multiple of b in the part
			if first < b*b {
				first = b * b // smaller multiples have a smaller prime factor: crossed out by it
			}
			for m := first; m < p.Hi; m += b {
				composite[m-p.Lo] = true
			}
		}
		count := 0
		for n, c := range composite {
			if !c && p.Lo+n >= 2 {
				count++
			}
		}
		return count
	}
}

// ANCHOR_END: sieve

// primesUpTo is the plain sieve of Eratosthenes: the primes up to n, n included.
func primesUpTo(n int) []int {
	composite := make([]bool, n+1)
	var primes []int
	for p := 2; p <= n; p++ {
		if !composite[p] {
			primes = append(primes, p)
			for m := p * p; m <= n; m += p {
				composite[m] = true
			}
		}
	}
	return primes
}

// ANCHOR: fan_out
// worker takes parts from in until it is closed, and sends each part's count on the
// results channel it shares with the other workers. It checks ctx before each part, and
// waits to send only while ctx lasts: a consumer that stops reading cannot strand it.
func worker(ctx context.Context, in <-chan Part, results chan<- Count, count func(Part) int) {
	for part := range in {
		if ctx.Err() != nil {
			return
		}
		c := Count{Index: part.Index, Primes: count(part)}
		select {
		case results <- c:
		case <-ctx.Done():
			return
		}
	}
}

// ANCHOR_END: fan_out

// ANCHOR: fan_in_closer
// FanOut starts workers goroutines on in, all sending on one results channel, and one more
// goroutine that closes results once every worker has returned: the aggregator's range over
// results then ends. No worker may close it: the others may still be sending.
func FanOut(ctx context.Context, in <-chan Part, workers int, count func(Part) int) <-chan Count {
	results := make(chan Count)
	var wg sync.WaitGroup
	wg.Add(workers)
	for i := 0; i < workers; i++ {
		go func() {
			defer wg.Done()
			worker(ctx, in, results, count)
		}()
	}
	go func() {
		wg.Wait() // every worker has returned: no send can come after this
		close(results)
	}()
	return results
}

// ANCHOR_END: fan_in_closer

// ANCHOR: as_they_come
// CountPrimes counts the primes below limit in parts, adding the counts in the order they
// come. Fewer counts than parts means the workers stopped early: ctx has ended.
func CountPrimes(ctx context.Context, limit, parts, workers int) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	split := Split(limit, parts)
	total, got := 0, 0
	for c := range FanOut(ctx, Feed(ctx, split), workers, Counter(limit)) {
		total += c.Primes
		got++
	}
	if got < len(split) {
		return 0, ctx.Err()
	}
	return total, nil
}

// ANCHOR_END: as_they_come

// ANCHOR: in_order
// InOrder reads the counts of n parts as they come, and puts each back in its place by its
// index. It reports false if results closed before all n had come.
func InOrder(results <-chan Count, n int) ([]int, bool) {
	counts := make([]int, n)
	got := 0
	for c := range results {
		counts[c.Index] = c.Primes
		got++
	}
	return counts, got == n
}

// PerPart counts the primes in each of parts parts of [0, limit), in input order.
func PerPart(ctx context.Context, limit, parts, workers int) ([]int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	split := Split(limit, parts)
	counts, ok := InOrder(FanOut(ctx, Feed(ctx, split), workers, Counter(limit)), len(split))
	if !ok {
		return nil, ctx.Err()
	}
	return counts, nil
}

// ANCHOR_END: in_order

// ANCHOR: cancel
// Feed sends the parts on a channel, one at a time, and closes it; it stops early, closing
// it all the same, once ctx has ended.
func Feed(ctx context.Context, parts []Part) <-chan Part {
	in := make(chan Part)
	go func() {
		defer close(in)
		for _, p := range parts {
			select {
			case in <- p:
			case <-ctx.Done():
				return
			}
		}
	}()
	return in
}

// AtLeast reports whether there are at least n primes below limit. It stops reading as soon
// as the counts so far reach n; its deferred cancel then stops the feeder and the workers.
func AtLeast(ctx context.Context, limit, n, parts, workers int) bool {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	total := 0
	for c := range FanOut(ctx, Feed(ctx, Split(limit, parts)), workers, Counter(limit)) {
		if total += c.Primes; total >= n {
			return true
		}
	}
	return false
}

// ANCHOR_END: cancel

// ANCHOR: leak
// FanOutLeaky is the same fan-out done wrong: no ctx. Once its consumer stops reading,
// each worker blocks on its next send for ever, and the closer waits for them for ever.
// Nothing reports it; each is one more in runtime.NumGoroutine.
func FanOutLeaky(in <-chan Part, workers int, count func(Part) int) <-chan Count {
	results := make(chan Count) // unbuffered: a send waits for a receiver
	var wg sync.WaitGroup
	wg.Add(workers)
	for i := 0; i < workers; i++ {
		go func() {
			defer wg.Done()
			for part := range in {
				results <- Count{Index: part.Index, Primes: count(part)}
			}
		}()
	}
	go func() {
		wg.Wait()
		close(results)
	}()
	return results
}

// ANCHOR_END: leak
