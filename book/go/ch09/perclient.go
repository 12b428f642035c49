package ch09

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"
)

// ANCHOR: per_client
// PerClient keeps a Bucket for each client, up to max of them. A full bucket is the same as
// no bucket (a client seen again would get a new, full one), so a full bucket can be dropped
// at any time without changing a single answer.
type PerClient struct {
	every      time.Duration
	burst, max int
	now        func() time.Time

	mu        sync.Mutex
	buckets   map[string]*Bucket
	nextSweep time.Time // no bucket is full before then: a sweep would free nothing
}

func NewPerClient(every time.Duration, burst, max int, now func() time.Time) *PerClient {
	return &PerClient{every: every, burst: burst, max: max, now: now, buckets: make(map[string]*Bucket)}
}

// Decision is PerClient's answer to a request.
type Decision int

const (
	Allowed   Decision = iota
	Limited            // over the client's rate: 429
	TableFull          // a new client, and no room for its bucket: 503
)

// ANCHOR_END: per_client

// ANCHOR: per_client_take
// Take is Bucket.Take on client's bucket. A new client, when max buckets are kept already,
// is refused (TableFull) until one of them is full; then it takes that one's place.
func (p *PerClient) Take(client string) (Decision, time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	b := p.buckets[client]
	if b == nil {
		now := p.now()
		if len(p.buckets) >= p.max && !now.Before(p.nextSweep) {
			p.sweep(now)
		}
		if len(p.buckets) >= p.max {
			return TableFull, p.nextSweep.Sub(now) // every client kept is still limited
		}
		b = NewBucket(p.every, p.burst, p.now)
		p.buckets[client] = b
		b.Take() // a new bucket is full: the first request always goes through
		if at := b.fullAt(); at.Before(p.nextSweep) {
			p.nextSweep = at // it may be full again before any other
		}
		return Allowed, 0
	}
	if wait, ok := b.Take(); !ok {
		return Limited, wait
	}
	return Allowed, 0
}

// ANCHOR_END: per_client_take

// ANCHOR: sweep
// sweep drops the full buckets, and notes when the first of the others will be full. No
// sweep before then could free anything, so a flood of new clients costs one sweep of the
// map, not one per request. (Taking a token only puts a bucket's fullAt later.)
func (p *PerClient) sweep(now time.Time) {
	p.nextSweep = time.Time{}
	for client, b := range p.buckets {
		at := b.fullAt()
		if !at.After(now) {
			delete(p.buckets, client) // deleting during range is allowed in Go
			continue
		}
		if p.nextSweep.IsZero() || at.Before(p.nextSweep) {
			p.nextSweep = at
		}
	}
}

// ANCHOR_END: sweep

// ANCHOR: middleware
// RateLimit answers 429 to a client over its rate, and 503 to a new client when the table
// is full, each with a JSON error and Retry-After: the wait, in whole seconds.
func RateLimit(limiter *PerClient, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		decision, wait := limiter.Take(clientKey(r.RemoteAddr))
		if decision == Allowed {
			next.ServeHTTP(w, r)
			return
		}
		seconds := retryAfterSeconds(wait)
		w.Header().Set("Retry-After", strconv.FormatInt(seconds, 10))
		if decision == Limited {
			writeError(w, http.StatusTooManyRequests, "rate_limited",
				fmt.Sprintf("too many requests; try again in %d s", seconds))
		} else {
			writeError(w, http.StatusServiceUnavailable, "too_many_clients",
				"the server is tracking as many clients as it can; try again")
		}
	})
}

// retryAfterSeconds rounds up: Retry-After has no fractions, a client that honours it must
// not come back early, and "0" would invite it straight back.
func retryAfterSeconds(wait time.Duration) int64 {
	if s := int64((wait + time.Second - 1) / time.Second); s > 1 {
		return s
	}
	return 1
}

// ANCHOR_END: middleware

// ANCHOR: client_key
// clientKey is the client's address without its port: the connection's, never a header's —
// X-Forwarded-For says whatever the client wrote in it, unless a proxy of ours replaces it.
// An IPv6 client is given a whole /64 and picks any address in it, so it is keyed by its /64.
func clientKey(remoteAddr string) string {
	addrPort, err := netip.ParseAddrPort(remoteAddr)
	if err != nil {
		return remoteAddr
	}
	addr := addrPort.Addr().Unmap() // ::ffff:192.0.2.1 is 192.0.2.1
	if addr.Is4() {
		return addr.String()
	}
	prefix, _ := addr.Prefix(64)
	return prefix.String()
}

// ANCHOR_END: client_key

// writeError answers {"error":{"code":…,"message":…}}, the book's error body.
func writeError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]map[string]string{"error": {"code": code, "message": message}})
}
