package ch09

import (
	"sync"
	"time"
)

// ANCHOR: bucket
// Bucket is a token bucket: it holds up to burst tokens, each request takes one, and one
// comes back every `every`. It refills lazily — no ticker, no goroutine: each call counts
// the tokens time has brought back since the call before. now is the clock: time.Now, or a
// test's fake. All arithmetic is in whole nanoseconds, so a token comes back exactly on time.
type Bucket struct {
	every time.Duration // time.Second / 10: 10 requests per second
	burst int
	now   func() time.Time

	mu     sync.Mutex
	tokens int
	last   time.Time // when tokens was counted; the time since is a token in the making
}

// NewBucket returns a full bucket.
func NewBucket(every time.Duration, burst int, now func() time.Time) *Bucket {
	if every <= 0 || burst < 1 {
		panic("ch09: a bucket needs every > 0 and burst >= 1")
	}
	return &Bucket{every: every, burst: burst, now: now, tokens: burst, last: now()}
}

// refill adds the tokens that came back since last, and keeps the rest of the time toward
// the next one. A full bucket saves nothing: time spent full is lost, so a client idle for
// an hour gets a burst, not an hour's worth of tokens.
func (b *Bucket) refill(now time.Time) {
	n := int(now.Sub(b.last) / b.every)
	if n >= b.burst-b.tokens {
		b.tokens, b.last = b.burst, now
	} else if n > 0 {
		b.tokens += n
		b.last = b.last.Add(time.Duration(n) * b.every)
	}
}

// ANCHOR_END: bucket

// ANCHOR: bucket_take
// Allow takes a token if there is one.
func (b *Bucket) Allow() bool {
	_, ok := b.Take()
	return ok
}

// Take takes a token if there is one. If there is none, it takes nothing and says how long
// until the next one: the Retry-After of a 429. (x/time/rate's Reserve says how long too,
// but books the token, and the caller must Cancel a booking it will not use.)
func (b *Bucket) Take() (wait time.Duration, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	b.refill(now)
	if b.tokens > 0 {
		b.tokens--
		return 0, true
	}
	return b.last.Add(b.every).Sub(now), false
}

// fullAt is when the bucket will be full if nobody takes from it: from then on, it is the
// same as no bucket at all. Refilling does not move it, so it needs no refill first.
func (b *Bucket) fullAt() time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.last.Add(time.Duration(b.burst-b.tokens) * b.every)
}

// ANCHOR_END: bucket_take
