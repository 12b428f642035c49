package ch05

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

const guard = 10 * time.Second

// encoding/json marshals the common error, errors.New("…"), as {}: its one field is unexported.
func TestAnErrorMarshalsAsAnEmptyObject(t *testing.T) {
	out, err := json.Marshal(JobStatus{ID: "j", Status: "failed", Error: errors.New("timed out")})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `"Error":{}`) {
		t.Fatalf("%s", out)
	}
}

// encoding/json names the struct field in a type error, and DisallowUnknownFields refuses
// a field the struct does not have.
func TestJSONErrorsNameTheField(t *testing.T) {
	var spec struct {
		Kind      string `json:"kind"`
		TimeoutMS uint64 `json:"timeout_ms"`
	}
	err := json.Unmarshal([]byte(`{"kind":"sleep","timeout_ms":"10"}`), &spec)
	if err == nil || !strings.Contains(err.Error(), "timeout_ms") {
		t.Fatalf("type error: %v", err)
	}
	decoder := json.NewDecoder(strings.NewReader(`{"kind":"sleep","timeout":500}`))
	decoder.DisallowUnknownFields()
	if err := decoder.Decode(&spec); err == nil || !strings.Contains(err.Error(), `unknown field "timeout"`) {
		t.Fatalf("unknown field: %v", err)
	}
}

// A Go mutex has no poisoning: a panic recovered while it is held, with no deferred unlock,
// leaves it locked for good.
func TestAPanicUnderALockLeavesItLocked(t *testing.T) {
	var mu sync.Mutex
	func() {
		defer func() { _ = recover() }()
		mu.Lock()
		panic("while holding the lock")
	}()
	if mu.TryLock() {
		t.Fatal("the mutex was unlocked")
	}
}

// time.Time carries a monotonic reading beside the wall clock, used by Sub.
func TestTimeCarriesAMonotonicReading(t *testing.T) {
	if now := time.Now(); !strings.Contains(now.String(), " m=") || strings.Contains(now.Round(0).String(), " m=") {
		t.Fatalf("%v", now)
	}
}

// A job started with the request's context is cancelled when the handler returns its 202.
func TestAJobUnderTheRequestContextIsCancelledAtOnce(t *testing.T) {
	stopped := make(chan error, 1)
	server := httptest.NewServer(SubmitDetachedWrong(func(ctx context.Context) {
		select {
		case <-ctx.Done():
			stopped <- ctx.Err()
		case <-time.After(guard):
			stopped <- errors.New("ran to the end")
		}
	}))
	defer server.Close()
	response, err := server.Client().Post(server.URL, "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	response.Body.Close()
	if err := <-stopped; err != context.Canceled {
		t.Fatalf("job: %v, want context.Canceled", err)
	}
}

// ANCHOR: race_test
// The race detector reports statusOf's read. The racy code runs in a child
// process (this test binary, again), so that its report fails the child, not us.
// The detector judges only the schedule that ran: if the writer happened to finish
// before the reader's first lock, every read is ordered after every write and
// there is nothing to report. So the parent gives the child several runs.
func TestTheRaceDetectorReportsThePointerBug(t *testing.T) {
	if os.Getenv("BOOKGO_RACE_CHILD") == "1" {
		racyReadsAndWrites()
		return
	}
	if !raceEnabled {
		t.Skip("run with go test -race")
	}
	var output []byte
	for run := 1; run <= 10; run++ {
		child := exec.Command(os.Args[0], "-test.run=^TestTheRaceDetectorReportsThePointerBug$")
		child.Env = append(os.Environ(), "BOOKGO_RACE_CHILD=1")
		var err error
		output, err = child.CombinedOutput()
		if err != nil && strings.Contains(string(output), "WARNING: DATA RACE") {
			return
		}
	}
	t.Fatalf("no race reported in 10 runs; the last printed:\n%s", output)
}

// ANCHOR_END: race_test

// racyReadsAndWrites starts the reader and the writer together and has both
// yield every turn, so their calls interleave on any number of cores.
func racyReadsAndWrites() {
	jobs["j"] = &JobStatus{ID: "j", Status: "pending"}
	start := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		<-start
		for i := 0; i < 1000; i++ {
			_ = statusOf("j")
			runtime.Gosched()
		}
	}()
	go func() {
		defer wg.Done()
		<-start
		for i := 0; i < 1000; i++ {
			setStatus("j", "running")
			runtime.Gosched()
		}
	}()
	close(start)
	wg.Wait()
}

// ANCHOR: map_growth
// Go's map grows incrementally (Go 1.19: old buckets are moved a few at a time, by later
// writes): no single insert pays for moving the whole map. Here the slowest of a million
// inserts takes under a tenth of the time of all of them. A map that moves every entry in
// one insert when it doubles, as Rust's std HashMap does, spends a large share of the total
// in the insert that triggers its last doubling.
func TestMapGrowsIncrementally(t *testing.T) {
	best := 1.0
	for attempt := 0; attempt < 3; attempt++ { // the best of three: a descheduled insert is noise
		m := make(map[int]int) // no capacity: it grows as it fills
		var slowest time.Duration
		started := time.Now()
		for i := 0; i < 1<<20; i++ {
			before := time.Now()
			m[i] = i
			if took := time.Since(before); took > slowest {
				slowest = took
			}
		}
		if share := float64(slowest) / float64(time.Since(started)); share < best {
			best = share
		}
	}
	if best >= 0.1 {
		t.Fatalf("the slowest insert took %.0f%% of the total", best*100)
	}
	t.Logf("the slowest insert took %.2f%% of the total", best*100)
}

// ANCHOR_END: map_growth
