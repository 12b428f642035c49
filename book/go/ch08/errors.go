// Package ch08 is the Go side of chapter 8: the guide's §7 error handling in concurrent code —
// an error channel, errgroup, errors wrapped with %w and matched with errors.Is and errors.As,
// a panic recovered into an error, and retry with backoff. Every claim the chapter makes
// about Go is a test in errors_test.go or errgroup_test.go.
package ch08

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"runtime/debug"
	"time"
)

// ANCHOR: error_channel
// FirstError runs each job on a goroutine of its own, and returns the first error one of
// them returns, or nil once all have succeeded. errCh has room for every job's result: a
// job that ends after FirstError has returned still sends, and ends. Nothing stops it
// before that, either.
func FirstError(jobs []func() error) error {
	errCh := make(chan error, len(jobs))
	for _, job := range jobs {
		job := job // Go 1.19: each goroutine needs its own copy of the loop variable
		go func() { errCh <- job() }()
	}
	for range jobs {
		if err := <-errCh; err != nil {
			return err
		}
	}
	return nil
}

// ANCHOR_END: error_channel

// ANCHOR: wrap
// ErrTransient marks a failure worth retrying. Match it with errors.Is, which follows the
// chain of errors wrapped with %w.
var ErrTransient = errors.New("transient failure")

// StatusError is the status code of a failed call. Match it with errors.As, which finds
// it anywhere in the chain, and hands it over with its type.
type StatusError struct {
	Code int
}

func (e *StatusError) Error() string { return fmt.Sprintf("status %d", e.Code) }

// Retryable says whether err is worth another attempt: transient, or a 5xx status.
func Retryable(err error) bool {
	var status *StatusError
	return errors.Is(err, ErrTransient) || errors.As(err, &status) && status.Code >= 500
}

// ANCHOR_END: wrap

// ANCHOR: recover
// PanicError is a panic recovered into an error: the value given to panic, and the stack
// of the goroutine that panicked, as it was at the panic.
type PanicError struct {
	Value interface{}
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// Safely calls job and returns its error, or its panic as a *PanicError. recover catches
// a panic of its own goroutine only: one in a goroutine that job starts ends the process.
func Safely(job func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	return job()
}

// Worker runs the jobs it receives one at a time, and sends each one's error, nil if
// none, on errs. A job that panics does not end it.
func Worker(jobs <-chan func() error, errs chan<- error) {
	for job := range jobs {
		errs <- Safely(job)
	}
}

// ANCHOR_END: recover

// ANCHOR: batch
// SubJob is one part of a batch.
type SubJob struct {
	Name string
	Run  func(ctx context.Context) error
}

// RunBatch runs the sub-jobs, at most limit at a time. The first to fail, by an error or
// a panic, cancels ctx for the others, and its error, naming it, is the batch's.
func RunBatch(ctx context.Context, jobs []SubJob, limit int) error {
	g, ctx := WithContext(ctx)
	g.SetLimit(limit)
	for i, job := range jobs {
		if ctx.Err() != nil {
			break // the batch has failed: start no more
		}
		i, job := i, job
		g.Go(func() error {
			if err := Safely(func() error { return job.Run(ctx) }); err != nil {
				return fmt.Errorf("sub-job %d (%s): %w", i, job.Name, err)
			}
			return nil
		})
	}
	return g.Wait()
}

// ANCHOR_END: batch

// ANCHOR: retry
// Retry calls an operation again while it fails with a retryable error, Attempts calls at
// most. Before call n+1 it waits a random time from 0 to min(Max, Base·2ⁿ⁻¹): exponential
// backoff, with full jitter, so that clients that failed together do not retry together.
type Retry struct {
	Attempts  int
	Base, Max time.Duration
	Sleep     func(context.Context, time.Duration) error // nil: SleepCtx; a fake in a test
}

// Do calls op until it succeeds, fails for good, or has been called Attempts times. A
// wait between two calls ends early if ctx does, and so does Do.
func (r Retry) Do(ctx context.Context, op func(context.Context) error) error {
	if r.Sleep == nil {
		r.Sleep = SleepCtx
	}
	for n := 1; ; n++ {
		err := op(ctx)
		if err == nil || !Retryable(err) {
			return err
		}
		if n >= r.Attempts {
			return fmt.Errorf("gave up after %d attempts: %w", n, err)
		}
		wait := time.Duration(rand.Int63n(int64(r.ceiling(n)) + 1)) // full jitter
		if serr := r.Sleep(ctx, wait); serr != nil {
			return fmt.Errorf("after attempt %d (%v): %w", n, err, serr)
		}
	}
}

// ANCHOR_END: retry

// ANCHOR: backoff
// ceiling is the longest wait after call n: Base doubled n-1 times, but at most Max.
func (r Retry) ceiling(n int) time.Duration {
	c := r.Base
	for i := 1; i < n && c < r.Max; i++ {
		c *= 2
	}
	if c > r.Max {
		c = r.Max
	}
	return c
}

// SleepCtx waits for d, or returns ctx's error as soon as ctx ends.
func SleepCtx(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Go 1.19 seeds math/rand's global source with 1 in every process: unseeded, every server
// would draw the same "random" waits, and clients that failed together would retry together.
func init() { rand.Seed(time.Now().UnixNano()) }

// ANCHOR_END: backoff
