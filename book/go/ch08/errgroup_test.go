package ch08

import (
	"bookgo/internal/testwait"
	"context"
	"errors"
	"sync/atomic"
	"testing"
)

// ANCHOR: errgroup_test
// Wait returns the first error, and only once every goroutine has returned: the other two
// here return only when the first error has cancelled ctx, one of them with an error of its
// own, which Wait drops.
func TestWaitReturnsTheFirstErrorAfterAll(t *testing.T) {
	first := errors.New("first")
	g, ctx := WithContext(context.Background())
	var finished atomic.Int32
	g.Go(func() error { return first })
	g.Go(func() error { <-ctx.Done(); finished.Add(1); return errors.New("second") })
	g.Go(func() error { <-ctx.Done(); finished.Add(1); return nil })
	if err := g.Wait(); err != first || finished.Load() != 2 {
		t.Fatalf("err %v, %d finished", err, finished.Load())
	}
}

// ANCHOR_END: errgroup_test

// Without an error, the context is cancelled when Wait returns, and not before.
func TestWaitCancelsTheContext(t *testing.T) {
	g, ctx := WithContext(context.Background())
	g.Go(func() error { return ctx.Err() })
	if err := g.Wait(); err != nil || ctx.Err() != context.Canceled {
		t.Fatalf("Wait: %v, ctx: %v", err, ctx.Err())
	}
}

// The zero Group works: it keeps the first error, but has no context to cancel.
func TestTheZeroGroup(t *testing.T) {
	var g Group
	boom := errors.New("boom")
	g.Go(func() error { return boom })
	if err := g.Wait(); err != boom {
		t.Fatalf("err %v", err)
	}
}

// ANCHOR: set_limit_test
// With a limit of 2, each goroutine can end only once it has met a partner, so two run at
// once; and no goroutine ever sees a third beside it.
func TestSetLimitRunsAtMostNAtOnce(t *testing.T) {
	var g Group
	g.SetLimit(2)
	meet := make(chan struct{}) // unbuffered: a send and a receive meet
	var running atomic.Int32
	done := make(chan error)
	go func() {
		for i := 0; i < 8; i++ {
			g.Go(func() error {
				defer running.Add(-1)
				if running.Add(1) > 2 {
					return errors.New("a third goroutine ran")
				}
				select { // meet a partner: one sends, the other receives
				case meet <- struct{}{}:
				case <-meet:
				}
				return nil
			})
		}
		done <- g.Wait()
	}()
	if err := testwait.Receive(t, done); err != nil {
		t.Fatal(err)
	}
}

// ANCHOR_END: set_limit_test

// Changing the limit while goroutines run panics.
func TestSetLimitWhileRunningPanics(t *testing.T) {
	var g Group
	g.SetLimit(1)
	open := make(chan struct{})
	g.Go(func() error { <-open; return nil })
	func() {
		defer func() {
			if recover() == nil {
				t.Error("no panic")
			}
		}()
		g.SetLimit(2)
	}()
	close(open)
	_ = g.Wait()
}
