package ch02

import (
	"bookgo/internal/testwait"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// gated returns a run function whose jobs report that they started, then wait until open is
// closed; and the channel of "started" reports.
func gated(open <-chan struct{}) (func(Job), <-chan int) {
	started := make(chan int, 100)
	return func(job Job) {
		started <- job.Limit
		<-open
		job.Result <- job.Limit
	}, started
}

func waitFor(t *testing.T, ch <-chan int) int {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(testwait.Guard):
		t.Fatal("timed out")
		return 0
	}
}

// ANCHOR: full
func TestAFullQueueRefusesAtOnceAndShutdownRunsTheRest(t *testing.T) {
	open := make(chan struct{})
	run, started := gated(open)
	pool := NewPool(1, 2, run)
	pool.TrySubmit(Job{Limit: 1, Result: make(chan int, 1)})
	waitFor(t, started) // the one worker is busy
	jobs := []Job{{2, make(chan int, 1)}, {3, make(chan int, 1)}}
	for _, job := range jobs {
		if !pool.TrySubmit(job) {
			t.Fatal("refused with room in the queue")
		}
	}
	if pool.TrySubmit(Job{Limit: 4}) {
		t.Fatal("accepted with the queue full")
	}
	close(open)
	pool.Shutdown() // closes the channel; the worker runs both queued jobs first
	for _, job := range jobs {
		if got := <-job.Result; got != job.Limit {
			t.Fatalf("job %d answered %d", job.Limit, got)
		}
	}
}

// ANCHOR_END: full

// ANCHOR: after_shutdown
func TestSubmittingAfterShutdownPanics(t *testing.T) {
	pool := NewPool(1, 1, func(Job) {})
	pool.Shutdown()
	defer func() {
		if r := recover(); r == nil || r.(error).Error() != "send on closed channel" {
			t.Fatalf("recovered %v", r)
		}
	}()
	pool.TrySubmit(Job{}) // select with a default does not save a send on a closed channel
	t.Fatal("TrySubmit returned")
}

// ANCHOR_END: after_shutdown

func TestARecoveredPanicLeavesTheWorkerAlive(t *testing.T) {
	pool := NewPool(1, 2, func(job Job) {
		if job.Limit == 0 {
			panic("boom")
		}
		job.Result <- job.Limit
	})
	pool.TrySubmit(Job{Limit: 0})
	next := Job{Limit: 1, Result: make(chan int, 1)}
	pool.TrySubmit(next)
	if got := waitFor(t, next.Result); got != 1 {
		t.Fatalf("got %d", got)
	}
	pool.Shutdown()
}

// ANCHOR: panic_ends_process
// Without recover, a panic on any goroutine ends the whole process, not only that goroutine.
// The test runs itself again as a child process that does it, and checks how the child died.
func TestAnUnrecoveredPanicEndsTheProcess(t *testing.T) {
	if os.Getenv("BOOKGO_PANIC_CHILD") == "1" {
		done := make(chan struct{})
		go func() { panic("a job panicked") }()
		<-done // never reached: the panic above ends the process
	}
	child := exec.Command(os.Args[0], "-test.run=^TestAnUnrecoveredPanicEndsTheProcess$")
	child.Env = append(os.Environ(), "BOOKGO_PANIC_CHILD=1")
	out, err := child.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "panic: a job panicked") {
		t.Fatalf("the child survived the panic (err %v):\n%s", err, out)
	}
}

// ANCHOR_END: panic_ends_process

// ANCHOR: handler_test
// Over HTTP: the handler of an accepted request stays parked until its job is done; with the
// worker busy and the queue full, the next request is refused at once with 503.
func TestTheHandlerWaitsOrRefuses(t *testing.T) {
	open := make(chan struct{})
	run, started := gated(open)
	pool := NewPool(1, 1, run)
	server := httptest.NewServer(PrimesHandler(pool))
	defer server.Close()
	answered := make(chan int, 1)
	go func() {
		resp, err := http.Get(server.URL + "/primes?limit=10")
		if err == nil {
			resp.Body.Close()
			answered <- resp.StatusCode
		}
	}()
	waitFor(t, started)                                       // the worker is busy with it
	pool.TrySubmit(Job{Limit: 20, Result: make(chan int, 1)}) // the queue of one is full
	resp, err := http.Get(server.URL + "/primes?limit=30")
	if err != nil || resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "1" {
		t.Fatalf("third request: %v %v", resp, err)
	}
	resp.Body.Close()
	select {
	case code := <-answered:
		t.Fatalf("answered %d while its job was still running", code)
	case <-time.After(100 * time.Millisecond): // still parked, as it must be
	}
	close(open)
	if code := waitFor(t, answered); code != 200 {
		t.Fatalf("the accepted request got %d", code)
	}
	pool.Shutdown()
}

// ANCHOR_END: handler_test

// ANCHOR: results
// The guide's "→ Results": the results channel is closed once every worker has finished,
// by a goroutine that waits for the pool and then closes it.
func TestResultsCloseAfterTheLastWorker(t *testing.T) {
	results := make(chan int, 10)
	pool := NewPool(3, 4, func(job Job) { results <- job.Limit * job.Limit })
	refused := 0
	for n := 1; n <= 10; n++ {
		if !pool.TrySubmit(Job{Limit: n}) {
			refused++ // a server would answer 503 here
		}
	}
	go func() {
		pool.Shutdown() // runs every queued job, then waits for the workers
		close(results)  // only now: a worker sending on a closed channel would panic
	}()
	count := 0
	for range results { // ends when the closing goroutine has closed it
		count++
	}
	if count+refused != 10 {
		t.Fatalf("%d run + %d refused", count, refused)
	}
}

// ANCHOR_END: results
