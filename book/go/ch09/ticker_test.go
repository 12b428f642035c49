package ch09

import (
	"bookgo/internal/testwait"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"time"
)

// ANCHOR: ticker_no_burst
// The ticker has no burst: five requests waiting together take five ticks, one after the
// other, where a bucket with a burst of five lets them all through at once. (A ticker never
// ticks early, and started is read before Throttle starts it, so the fifth request waits
// five ticks at least however the schedule falls.) Its channel holds a single tick: time it
// spends idle buys nothing.
func TestATickerHasNoBurst(t *testing.T) {
	const every = 20 * time.Millisecond
	requests := make(chan func(), 5)
	var ran []time.Duration
	started := time.Now()
	for i := 0; i < 5; i++ {
		requests <- func() { ran = append(ran, time.Since(started)) }
	}
	close(requests)
	Throttle(every, requests)
	if len(ran) != 5 || ran[4] < 5*every {
		t.Fatalf("the requests ran at %v", ran)
	}
	if ticker := time.NewTicker(time.Hour); cap(ticker.C) != 1 {
		t.Fatalf("a ticker's channel holds %d ticks", cap(ticker.C))
	} else {
		ticker.Stop()
	}
	clock := newFakeClock()
	bucket := NewBucket(every, 5, clock.Now)
	for i := 0; i < 5; i++ {
		if !bucket.Allow() {
			t.Fatalf("the bucket refused request %d of its burst", i+1)
		}
	}
}

// ANCHOR_END: ticker_no_burst

// ANCHOR: ticker_stop
// In Go 1.19 a ticker nobody stops is never collected: the runtime's timer heap keeps it,
// ticking, after the program has dropped it. A stopped one is collected. (Go 1.23 collects
// both.)
func TestATickerMustBeStopped(t *testing.T) {
	stoppedGone := dropTicker(time.Millisecond, true)
	unstoppedGone := dropTicker(time.Hour, false) // leaks, on purpose: it ticks once an hour
	testwait.Eventually(t, "the stopped ticker collected", func() bool {
		runtime.GC()
		select {
		case <-stoppedGone:
			return true
		default:
			return false
		}
	})
	finalizersCaughtUp(t) // the unstopped ticker's, had it been queued with the other's
	select {
	case <-unstoppedGone:
		t.Fatal("a ticker nobody stopped was collected")
	default:
	}
}

// dropTicker starts a ticker, stops it or not, and drops it; the channel it returns is
// closed when the garbage collector has freed the ticker.
func dropTicker(every time.Duration, stop bool) <-chan struct{} {
	gone := make(chan struct{})
	ticker := time.NewTicker(every)
	runtime.SetFinalizer(ticker, func(*time.Ticker) { close(gone) })
	if stop {
		ticker.Stop()
	}
	return gone
}

// ANCHOR_END: ticker_stop

// finalizersCaughtUp returns once every finalizer queued before the call has run. The
// runtime runs finalizers on one goroutine, a queued batch at a time: a sentinel's running
// means its batch is being run; a second sentinel's, that that batch is done.
func finalizersCaughtUp(t *testing.T) {
	t.Helper()
	for round := 0; round < 2; round++ {
		ran := make(chan struct{})
		func() {
			sentinel := new([64]byte) // not a tiny allocation: those may share a finalizer's fate
			runtime.SetFinalizer(sentinel, func(*[64]byte) { close(ran) })
		}()
		testwait.Eventually(t, "a sentinel finalized", func() bool {
			runtime.GC()
			select {
			case <-ran:
				return true
			default:
				return false
			}
		})
	}
}

// ANCHOR: stop_keeps_open
// Stop does not close C: after Stop, a receive waits for ever, it does not end — a loop
// ranging over C does not stop with the ticker. A tick sent before Stop may still be there.
func TestStopDoesNotCloseTheChannel(t *testing.T) {
	ticker := time.NewTicker(time.Millisecond)
	<-ticker.C
	ticker.Stop()
	select { // a tick sent before Stop may wait in the buffer
	case <-ticker.C:
	default:
	}
	select {
	case _, open := <-ticker.C:
		t.Fatalf("a receive after Stop returned (channel open: %v)", open)
	case <-time.After(20 * time.Millisecond): // twenty periods: nothing came, nothing will
	}
}

// ANCHOR_END: stop_keeps_open

// ANCHOR: tick_handler_test
// TickHandler refuses nothing: three requests sent at once are all answered, the last
// after three ticks at least. A request waiting for a tick ends when its client gives up.
func TestTickHandlerMakesRequestsWait(t *testing.T) {
	const every = 20 * time.Millisecond
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	started := time.Now() // before the ticker starts: its third tick comes 3*every after, or later
	server := httptest.NewServer(TickHandler(every, ok))
	defer server.Close()
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if resp, err := server.Client().Get(server.URL); err != nil || resp.StatusCode != 200 {
				t.Errorf("%v %v", resp, err)
			} else {
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	if took := time.Since(started); took < 3*every {
		t.Fatalf("three requests took %v", took)
	}
}

// ANCHOR_END: tick_handler_test

// A request waiting for its tick ends, unserved, when its client cancels.
func TestTickHandlerLetsAWaitingClientGo(t *testing.T) {
	served := make(chan struct{}, 1)
	entered, returned := make(chan struct{}), make(chan struct{})
	handler := TickHandler(time.Hour, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		served <- struct{}{}
	}))
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(returned)
		close(entered)
		handler.ServeHTTP(w, r)
	}))
	defer server.Close()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", server.URL, nil)
	errs := make(chan error)
	go func() {
		resp, err := server.Client().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errs <- err
	}()
	testwait.Receive(t, entered)
	cancel()
	if err := testwait.Receive(t, errs); !errors.Is(err, context.Canceled) {
		t.Fatalf("client: %v", err)
	}
	testwait.Receive(t, returned)
	if len(served) != 0 {
		t.Fatal("the request was served")
	}
}
