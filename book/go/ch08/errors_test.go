package ch08

import (
	"bookgo/internal/testwait"
	"context"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// ANCHOR: error_channel_test
// FirstError returns the first error while a slower job still runs; nothing stops that job,
// and when it ends, its send finds room in the buffer, so its goroutine ends too.
func TestFirstErrorLeavesTheOthersRunning(t *testing.T) {
	before := runtime.NumGoroutine()
	first := errors.New("first")
	open, finished := make(chan struct{}), make(chan struct{})
	err := FirstError([]func() error{
		func() error { return nil },
		func() error { return first },
		func() error { <-open; close(finished); return errors.New("late") },
	})
	if err != first {
		t.Fatalf("err %v", err)
	}
	close(open)
	testwait.Receive(t, finished) // the slow job ran to its end
	testwait.Eventually(t, "goroutines back to the baseline", func() bool {
		return runtime.NumGoroutine() <= before
	})
}

// ANCHOR_END: error_channel_test

// ANCHOR: wrap_test
// %w keeps the wrapped error in the chain: errors.Is and errors.As find it through every
// layer, while == sees only the outer one. %v keeps its text but cuts the chain.
func TestWrappingKeepsTheChain(t *testing.T) {
	inner := fmt.Errorf("upload: %w", ErrTransient)
	err := fmt.Errorf("sub-job %d (%s): %w", 2, "resize", inner)
	if err.Error() != "sub-job 2 (resize): upload: transient failure" {
		t.Fatalf("%q", err)
	}
	if err == ErrTransient || !errors.Is(err, ErrTransient) || errors.Unwrap(err) != inner {
		t.Fatal("the chain is broken")
	}
	if flat := fmt.Errorf("sub-job 2: %v", inner); errors.Is(flat, ErrTransient) {
		t.Fatal("fmt.Errorf with a verb other than w kept the chain")
	}
	var status *StatusError
	err = fmt.Errorf("sub-job 3 (fetch): %w", &StatusError{Code: 503})
	if !errors.As(err, &status) || status.Code != 503 {
		t.Fatalf("errors.As found %v", status)
	}
}

// ANCHOR_END: wrap_test

func TestRetryable(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("a: %w", ErrTransient), true},
		{fmt.Errorf("b: %w", &StatusError{Code: 503}), true},
		{fmt.Errorf("c: %w", &StatusError{Code: 404}), false},
		{errors.New("transient failure"), false}, // the same text is not the same error
	} {
		if got := Retryable(c.err); got != c.want {
			t.Errorf("Retryable(%v) = %v", c.err, got)
		}
	}
}

func explode() error { panic("index out of range, say") }

// ANCHOR: recover_test
// A job that panics becomes a *PanicError, whose stack shows where it panicked, and the
// worker goes on to the next jobs.
func TestAPanicBecomesAnErrorAndTheWorkerLivesOn(t *testing.T) {
	jobs, errs := make(chan func() error), make(chan error)
	go Worker(jobs, errs)
	defer close(jobs)
	boom := errors.New("boom")
	for i, job := range []func() error{explode, func() error { return nil }, func() error { return boom }} {
		jobs <- job
		err := testwait.Receive(t, errs)
		var p *PanicError
		switch {
		case i == 0 && (!errors.As(err, &p) || !strings.Contains(string(p.Stack), "ch08.explode(")):
			t.Fatalf("job 0: %v", err)
		case i == 1 && err != nil, i == 2 && err != boom:
			t.Fatalf("job %d: %v", i, err)
		}
	}
}

// ANCHOR_END: recover_test

// ANCHOR: panic_nil
// In Go 1.19, recover() returns nil after panic(nil): Safely cannot tell it from no panic,
// and the job that panicked looks like one that succeeded. (Go 1.21 makes it a
// *runtime.PanicNilError, for modules that say go 1.21 or later.)
func TestPanicNilLooksLikeSuccess(t *testing.T) {
	if err := Safely(func() error { panic(nil) }); err != nil {
		t.Fatalf("err %v", err)
	}
}

// ANCHOR_END: panic_nil

// ANCHOR: other_goroutine
// recover catches a panic of its own goroutine only: a panic in a goroutine the job starts
// ends the whole process, Safely or not. The test runs itself as a child process that does
// it, and checks how the child died.
func TestRecoverDoesNotCatchAnotherGoroutinesPanic(t *testing.T) {
	if os.Getenv("BOOKGO_CHILD") == "panic" {
		_ = Safely(func() error {
			go func() { panic("in a goroutine the job started") }()
			<-make(chan struct{}) // never: the panic ends the process
			return nil
		})
		return
	}
	child := exec.Command(os.Args[0], "-test.run=^TestRecoverDoesNotCatchAnotherGoroutinesPanic$")
	child.Env = append(os.Environ(), "BOOKGO_CHILD=panic")
	out, err := child.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "panic: in a goroutine the job started") {
		t.Fatalf("the child survived (err %v):\n%s", err, out)
	}
}

// ANCHOR_END: other_goroutine

// ANCHOR: batch_test
// The last sub-job fails; the three before it, all running, see ctx cancelled. The batch's
// error names the sub-job, and still matches the error it wraps.
func TestTheFirstFailureCancelsTheRest(t *testing.T) {
	diskFull := errors.New("disk full")
	var cancelled atomic.Int32
	waitForCancel := func(ctx context.Context) error {
		<-ctx.Done()
		cancelled.Add(1)
		return ctx.Err()
	}
	jobs := []SubJob{{"fetch", waitForCancel}, {"decode", waitForCancel}, {"thumbnail", waitForCancel},
		{"resize", func(context.Context) error { return diskFull }}}
	err := RunBatch(context.Background(), jobs, len(jobs))
	if err == nil || err.Error() != "sub-job 3 (resize): disk full" || !errors.Is(err, diskFull) {
		t.Fatalf("err %v", err)
	}
	if cancelled.Load() != 3 {
		t.Fatalf("%d cancelled", cancelled.Load())
	}
}

// ANCHOR_END: batch_test

// With a limit of one, a sub-job still waiting for its turn when the batch fails never
// starts. (The one whose turn came as the first failed starts with ctx already cancelled.)
func TestASubJobWaitingItsTurnNeverStarts(t *testing.T) {
	var lastRan atomic.Bool
	jobs := []SubJob{
		{"fetch", func(context.Context) error { return ErrTransient }},
		{"decode", func(ctx context.Context) error { return ctx.Err() }},
		{"resize", func(context.Context) error { lastRan.Store(true); return nil }},
	}
	if err := RunBatch(context.Background(), jobs, 1); !errors.Is(err, ErrTransient) || lastRan.Load() {
		t.Fatalf("err %v, last ran: %v", err, lastRan.Load())
	}
}

// A panicking sub-job fails the batch like an error, and says which one it was.
func TestAPanickingSubJobFailsTheBatch(t *testing.T) {
	jobs := []SubJob{{"ok", func(context.Context) error { return nil }},
		{"decode", func(context.Context) error { var m map[string]int; m["x"] = 1; return nil }}}
	err := RunBatch(context.Background(), jobs, 2)
	var p *PanicError
	if !errors.As(err, &p) || !strings.HasPrefix(err.Error(), "sub-job 1 (decode): panic: assignment to entry in nil map") {
		t.Fatalf("err %v", err)
	}
}

// fakeSleep records each wait it is asked for, and returns at once.
type fakeSleep struct{ waits []time.Duration }

func (f *fakeSleep) sleep(_ context.Context, d time.Duration) error {
	f.waits = append(f.waits, d)
	return nil
}

// ANCHOR: retry_test
// A transient failure is tried again, Attempts times in all, each wait no longer than its
// ceiling, 100ms doubling to at most 1s; without a wait in real time.
func TestRetryGivesUpAfterAttempts(t *testing.T) {
	fake := &fakeSleep{}
	r := Retry{Attempts: 6, Base: 100 * time.Millisecond, Max: time.Second, Sleep: fake.sleep}
	calls := 0
	err := r.Do(context.Background(), func(context.Context) error {
		calls++
		return fmt.Errorf("call %d: %w", calls, ErrTransient)
	})
	if calls != 6 || len(fake.waits) != 5 || !errors.Is(err, ErrTransient) ||
		err.Error() != "gave up after 6 attempts: call 6: transient failure" {
		t.Fatalf("%d calls, %d waits, err %v", calls, len(fake.waits), err)
	}
	ms := time.Millisecond
	for n, ceiling := range []time.Duration{100 * ms, 200 * ms, 400 * ms, 800 * ms, 1000 * ms} {
		if r.ceiling(n+1) != ceiling || fake.waits[n] < 0 || fake.waits[n] > ceiling {
			t.Fatalf("wait %d: %v, ceiling %v", n+1, fake.waits[n], r.ceiling(n+1))
		}
	}
}

// ANCHOR_END: retry_test

// Success, or an error not worth retrying, ends the attempts at once.
func TestRetryStopsAtSuccessOrAPermanentError(t *testing.T) {
	r := Retry{Attempts: 5, Base: time.Hour, Max: time.Hour, Sleep: (&fakeSleep{}).sleep}
	calls := 0
	err := r.Do(context.Background(), func(context.Context) error {
		if calls++; calls < 3 {
			return &StatusError{Code: 503}
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("%d calls, err %v", calls, err)
	}
	calls = 0
	notFound := &StatusError{Code: 404}
	if err := r.Do(context.Background(), func(context.Context) error { calls++; return notFound }); err != notFound || calls != 1 {
		t.Fatalf("%d calls, err %v", calls, err)
	}
}

// ANCHOR: retry_cancel
// Cancelling ctx ends a wait in progress, an hour long, with the real SleepCtx: Do returns
// an error that matches context.Canceled, and makes no further call.
func TestCancellingEndsTheBackoffWait(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	waiting := make(chan struct{})
	r := Retry{Attempts: 5, Base: time.Hour, Max: time.Hour,
		Sleep: func(ctx context.Context, d time.Duration) error {
			close(waiting)
			return SleepCtx(ctx, d)
		}}
	var calls atomic.Int32
	done := make(chan error)
	go func() {
		done <- r.Do(ctx, func(context.Context) error { calls.Add(1); return ErrTransient })
	}()
	testwait.Receive(t, waiting)
	cancel()
	if err := testwait.Receive(t, done); !errors.Is(err, context.Canceled) || calls.Load() != 1 {
		t.Fatalf("%d calls, err %v", calls.Load(), err)
	}
}

// ANCHOR_END: retry_cancel

// ANCHOR: unseeded
// Go 1.19's math/rand global source starts from seed 1 in every process that does not seed
// it: two servers would draw the same "random" backoff waits (testdata/unseeded).
func TestGlobalRandIsTheSameInEveryProcess(t *testing.T) {
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command(goTool, "run", "./testdata/unseeded").CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if want := rand.New(rand.NewSource(1)).Int63(); strings.TrimSpace(string(out)) != strconv.FormatInt(want, 10) {
		t.Fatalf("the child drew %s, seed 1 draws %d", out, want)
	}
}

// ANCHOR_END: unseeded
