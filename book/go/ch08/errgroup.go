package ch08

import (
	"context"
	"fmt"
	"sync"
)

// This file mirrors golang.org/x/sync/errgroup (the version for Go 1.19), which this module
// cannot download: the same Group, WithContext, Go, Wait and SetLimit, with the same
// semantics. Only TryGo is left out.

// ANCHOR: errgroup
// A Group is a collection of goroutines working on parts of one task. The zero Group has
// no limit and cancels nothing.
type Group struct {
	cancel  func()
	wg      sync.WaitGroup
	sem     chan struct{} // one token per running goroutine, if there is a limit
	errOnce sync.Once
	err     error
}

// Go runs f on a new goroutine, once the limit allows it; until then, Go blocks.
func (g *Group) Go(f func() error) {
	if g.sem != nil {
		g.sem <- struct{}{}
	}
	g.wg.Add(1)
	go func() {
		defer g.done()
		if err := f(); err != nil {
			g.errOnce.Do(func() { // keeps the first error only
				g.err = err
				if g.cancel != nil {
					g.cancel()
				}
			})
		}
	}()
}

// ANCHOR_END: errgroup

// ANCHOR: errgroup_wait
// WithContext returns a Group, and a context it cancels at the first error, or when Wait
// returns, whichever comes first.
func WithContext(ctx context.Context) (*Group, context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	return &Group{cancel: cancel}, ctx
}

// Wait waits for every goroutine the Group started, then returns the first error.
func (g *Group) Wait() error {
	g.wg.Wait()
	if g.cancel != nil {
		g.cancel()
	}
	return g.err
}

func (g *Group) done() {
	if g.sem != nil {
		<-g.sem
	}
	g.wg.Done()
}

// ANCHOR_END: errgroup_wait

// ANCHOR: set_limit
// SetLimit lets at most n of the Group's goroutines run at once; n < 0 means no limit. It
// must not be called while any are running.
func (g *Group) SetLimit(n int) {
	if n < 0 {
		g.sem = nil
		return
	}
	if len(g.sem) != 0 {
		panic(fmt.Errorf("errgroup: modify limit while %v goroutines in the group are still active", len(g.sem)))
	}
	g.sem = make(chan struct{}, n)
}

// ANCHOR_END: set_limit
