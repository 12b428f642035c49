package ch09

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"
)

// Each client has a bucket of its own: one emptying its bucket leaves the others theirs.
func TestEachClientHasItsOwnBucket(t *testing.T) {
	clock := newFakeClock()
	limiter := NewPerClient(time.Second, 2, 100, clock.Now)
	for i := 0; i < 2; i++ {
		if d, _ := limiter.Take("192.0.2.1"); d != Allowed {
			t.Fatalf("request %d refused", i+1)
		}
	}
	if d, _ := limiter.Take("192.0.2.1"); d != Limited {
		t.Fatal("a third request in the same instant allowed")
	}
	if d, _ := limiter.Take("192.0.2.2"); d != Allowed {
		t.Fatal("another client refused")
	}
}

// ANCHOR: drop_full_test
// A full bucket is the same as no bucket: a limiter that drops every full bucket answers
// exactly as one that keeps them all, request for request.
func TestDroppingAFullBucketChangesNothing(t *testing.T) {
	clock := newFakeClock()
	sweeping := NewPerClient(time.Second, 3, 100, clock.Now)
	keeping := NewPerClient(time.Second, 3, 100, clock.Now)
	drops := 0
	for step, advance := range []time.Duration{0, 0, 500 * time.Millisecond, 2 * time.Second,
		0, 0, 0, 5 * time.Second, 0, 0, 0, 0, 2500 * time.Millisecond, 1500 * time.Millisecond} {
		clock.Advance(advance)
		sweeping.mu.Lock()
		sweeping.sweep(clock.Now()) // drops the client's bucket if it is full
		if step > 0 && len(sweeping.buckets) == 0 {
			drops++
		}
		sweeping.mu.Unlock()
		d1, w1 := sweeping.Take("192.0.2.1")
		d2, w2 := keeping.Take("192.0.2.1")
		if d1 != d2 || w1 != w2 {
			t.Fatalf("step %d: %v %v against %v %v", step, d1, w1, d2, w2)
		}
	}
	if drops != 2 {
		t.Fatalf("%d drops", drops)
	}
}

// ANCHOR_END: drop_full_test

// ANCHOR: bounded_test
// With room for two clients, a third is refused (TableFull) until one of the two is full,
// told exactly how long that is; then it takes the full one's place.
func TestTheMapIsBounded(t *testing.T) {
	clock := newFakeClock()
	limiter := NewPerClient(time.Second, 3, 2, clock.Now)
	limiter.Take("192.0.2.1") // full again in 1s
	for i := 0; i < 3; i++ {
		limiter.Take("192.0.2.2") // full again in 3s
	}
	if d, wait := limiter.Take("192.0.2.3"); d != TableFull || wait != time.Second {
		t.Fatalf("the third client: %v, wait %v", d, wait)
	}
	clock.Advance(400 * time.Millisecond)
	if d, wait := limiter.Take("192.0.2.3"); d != TableFull || wait != 600*time.Millisecond {
		t.Fatalf("400ms later: %v, wait %v", d, wait)
	}
	clock.Advance(600 * time.Millisecond)
	if d, _ := limiter.Take("192.0.2.3"); d != Allowed {
		t.Fatal("refused when the first client's bucket was full")
	}
	if _, kept := limiter.buckets["192.0.2.1"]; kept || len(limiter.buckets) != 2 {
		t.Fatalf("kept %v", limiter.buckets)
	}
}

// ANCHOR_END: bounded_test

// ANCHOR: middleware_test
// Over its rate, a client gets a 429 with a JSON error, and Retry-After rounded up to whole
// seconds: 1.5s is "2". When its token is back, it is served again.
func TestRateLimitAnswers429(t *testing.T) {
	clock := newFakeClock()
	limiter := NewPerClient(1500*time.Millisecond, 2, 100, clock.Now)
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	server := httptest.NewServer(RateLimit(limiter, ok))
	defer server.Close()
	for _, want := range []int{200, 200, 429} {
		if resp := get(t, server.URL); resp.StatusCode != want {
			t.Fatalf("status %d, want %d", resp.StatusCode, want)
		} else if want == 429 {
			var body struct {
				Error struct{ Code, Message string }
			}
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil ||
				body.Error.Code != "rate_limited" || body.Error.Message != "too many requests; try again in 2 s" ||
				resp.Header.Get("Retry-After") != "2" ||
				resp.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("%v %+v %v", err, body, resp.Header)
			}
		}
	}
	clock.Advance(1500 * time.Millisecond)
	if resp := get(t, server.URL); resp.StatusCode != 200 {
		t.Fatalf("status %d when the token was back", resp.StatusCode)
	}
}

// ANCHOR_END: middleware_test

// A new client when the table is full gets a 503 too_many_clients, with Retry-After.
func TestRateLimitAnswers503WhenTheTableIsFull(t *testing.T) {
	clock := newFakeClock()
	handler := RateLimit(NewPerClient(time.Second, 1, 1, clock.Now),
		http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	for i, remote := range []string{"192.0.2.1:1000", "192.0.2.2:1000"} {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = remote
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		var body struct{ Error struct{ Code string } }
		json.NewDecoder(rec.Body).Decode(&body)
		if i == 1 && (rec.Code != 503 || body.Error.Code != "too_many_clients" || rec.Header().Get("Retry-After") != "1") {
			t.Fatalf("%d %+v %v", rec.Code, body, rec.Header())
		}
	}
}

// get sends a GET, and closes the body when the test ends.
func get(t *testing.T, url string) *http.Response {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestRetryAfterRoundsUp(t *testing.T) {
	for wait, want := range map[time.Duration]int64{
		time.Nanosecond: 1, time.Second: 1, time.Second + time.Nanosecond: 2, 1500 * time.Millisecond: 2, 0: 1,
	} {
		if got := retryAfterSeconds(wait); got != want {
			t.Errorf("%v: %d, want %d", wait, got, want)
		}
	}
}

// ANCHOR: client_key_test
// An IPv4 client is its address; an IPv6 client is its /64, whichever address in it it
// uses; an IPv4 address written as IPv6 is the IPv4 address.
func TestClientKey(t *testing.T) {
	for remote, want := range map[string]string{
		"192.0.2.1:50000":          "192.0.2.1",
		"[2001:db8:1:2::1]:50000":  "2001:db8:1:2::/64",
		"[2001:db8:1:2:a:b:c:d]:1": "2001:db8:1:2::/64",
		"[::ffff:192.0.2.1]:50000": "192.0.2.1",
		"not an address":           "not an address",
	} {
		if got := clientKey(remote); got != want {
			t.Errorf("%s: %s, want %s", remote, got, want)
		}
	}
}

// ANCHOR_END: client_key_test

// Two addresses of one IPv6 /64 share a bucket.
func TestAnIPv6ClientCannotHopAddresses(t *testing.T) {
	clock := newFakeClock()
	handler := RateLimit(NewPerClient(time.Second, 1, 100, clock.Now),
		http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	for i, remote := range []string{"[2001:db8::1]:1000", "[2001:db8::2]:1000"} {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = remote
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		if want := []int{200, 429}[i]; rec.Code != want {
			t.Fatalf("%s: %d, want %d", remote, rec.Code, want)
		}
	}
}

// ANCHOR: map_keeps_table
// Deleting every key from a Go map does not shrink it: the table stays as large as it ever
// was, until the map itself is dropped. Dropping idle buckets frees the buckets, not the
// map's room for them: the bound on the map is what bounds its memory.
func TestADeletedMapKeepsItsTable(t *testing.T) {
	heap := func() uint64 {
		runtime.GC()
		var stats runtime.MemStats
		runtime.ReadMemStats(&stats)
		return stats.HeapAlloc
	}
	before := heap()
	m := make(map[int]int)
	for i := 0; i < 1<<20; i++ {
		m[i] = i
	}
	for k := range m {
		delete(m, k)
	}
	emptied := heap()
	runtime.KeepAlive(m)
	m = nil
	dropped := heap()
	if len(m) != 0 || emptied < before+20<<20 || dropped > before+5<<20 {
		t.Fatalf("before %d MB, emptied %d MB, dropped %d MB", before>>20, emptied>>20, dropped>>20)
	}
	t.Logf("an empty map of a million deleted keys holds %d MB", (emptied-before)>>20)
}

// ANCHOR_END: map_keeps_table
