package ch10

import (
	"bookgo/internal/testwait"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"
)

// parkedForever waits on a channel nobody sends on: a leaked goroutine, on purpose.
func parkedForever(ch chan int) { <-ch }

// ANCHOR: goroutine_dump
// Go gives goroutines no ID a program can read, so the guide's "logging with goroutine IDs"
// has nothing to log. The goroutine dump has them: /debug/pprof/goroutine?debug=2 lists
// every goroutine with its ID, what it waits on, and its stack — the way to find a leak
// once runtime.NumGoroutine has shown there is one.
func TestTheGoroutineDumpShowsALeak(t *testing.T) {
	leak := make(chan int)
	defer close(leak) // ends the leak when the test does
	go parkedForever(leak)
	server := httptest.NewServer(DebugMux())
	defer server.Close()
	found := regexp.MustCompile(`(?m)^goroutine (\d+) \[chan receive\]:\nbookgo/ch10\.parkedForever\(`)
	var dump []byte
	testwait.Eventually(t, "the parked goroutine in the dump", func() bool {
		resp, err := http.Get(server.URL + "/debug/pprof/goroutine?debug=2")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		dump, _ = io.ReadAll(resp.Body)
		return found.Match(dump)
	})
	t.Logf("%s", found.Find(dump))
}

// ANCHOR_END: goroutine_dump

// ANCHOR: pprof_default_mux
// Importing net/http/pprof, even only for DebugMux, registers its handlers on
// http.DefaultServeMux: a server started with http.ListenAndServe(addr, nil) now serves
// everyone the process's command line, profiles and goroutine stacks.
func TestImportingPprofFillsTheDefaultServeMux(t *testing.T) {
	rec := httptest.NewRecorder()
	http.DefaultServeMux.ServeHTTP(rec, httptest.NewRequest("GET", "/debug/pprof/cmdline", nil))
	if rec.Code != 200 || rec.Body.Len() == 0 {
		t.Fatalf("status %d, %q", rec.Code, rec.Body)
	}
}

// ANCHOR_END: pprof_default_mux
