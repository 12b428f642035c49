package ch01

import (
	"bookgo/internal/testwait"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

func TestPrimes(t *testing.T) {
	if got := CountPrimesBelow(1_000_000); got != 78498 {
		t.Fatalf("%d primes below a million", got)
	}
	server := httptest.NewServer(NewMux())
	defer server.Close()
	for path, want := range map[string]int{"/health": 200, "/primes?limit=1000": 200, "/primes?limit=lots": 400} {
		resp, err := http.Get(server.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("%s: %d, want %d", path, resp.StatusCode, want)
		}
	}
}

// ANCHOR: per_request
// Four requests on four connections meet at a barrier inside the handler: a server that ran
// them one after another could never get past it. net/http gives each its own goroutine.
func TestEachConnectionGetsItsOwnGoroutine(t *testing.T) {
	const clients = 4
	var barrier sync.WaitGroup
	barrier.Add(clients)
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		barrier.Done()
		barrier.Wait() // opens only when all four handlers are running at once
	}))
	defer server.Close()
	answered := make(chan error, clients)
	for i := 0; i < clients; i++ {
		go func() {
			client := &http.Client{Transport: &http.Transport{}} // a connection of its own
			resp, err := client.Get(server.URL)
			if err == nil {
				resp.Body.Close()
			}
			answered <- err
		}()
	}
	for i := 0; i < clients; i++ {
		select {
		case err := <-answered:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(testwait.Guard):
			t.Fatal("the handlers did not run at the same time")
		}
	}
}

// ANCHOR_END: per_request
