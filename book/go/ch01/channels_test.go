package ch01

import (
	"sort"
	"testing"
	"time"
)

// ANCHOR: rendezvous
func TestAnUnbufferedSendWaitsForAReceiver(t *testing.T) {
	ch := make(chan string)
	// Nobody is receiving, so the send cannot complete: with a default, select says so.
	select {
	case ch <- "hello":
		t.Fatal("an unbuffered send completed with no receiver")
	default:
	}
	// With a receiver waiting on another goroutine, the send completes: the two meet.
	got := make(chan string)
	go func() { got <- <-ch }()
	ch <- "hello"
	if v := <-got; v != "hello" {
		t.Fatalf("received %q", v)
	}
}

// ANCHOR_END: rendezvous

// ANCHOR: buffered
func TestABufferedSendWaitsOnlyWhenFull(t *testing.T) {
	ch := make(chan int, 2)
	ch <- 1
	ch <- 2 // room for two: neither send waited
	select {
	case ch <- 3:
		t.Fatal("a third send found room in a buffer of two")
	default: // full: a plain `ch <- 3` would wait here. This is backpressure.
	}
	if len(ch) != 2 {
		t.Fatalf("%d waiting, want 2", len(ch))
	}
}

// ANCHOR_END: buffered

// ANCHOR: guide_select_test
func TestTheGuidesTimeoutCaseNeverFires(t *testing.T) {
	jobs, stop := make(chan int), make(chan struct{})
	for i := 0; i < 100; i++ {
		if got := GuideSelect(jobs, stop, time.Second); got != NothingReady {
			t.Fatalf("round %d: %v; the default should win every time", i, got)
		}
	}
}

// ANCHOR_END: guide_select_test

func TestNextEventAndPollEvent(t *testing.T) {
	jobs, stop := make(chan int, 1), make(chan struct{}, 1)
	short := 20 * time.Millisecond // the timeout under test, not a synchronization
	if e, _ := PollEvent(jobs, stop); e != NothingReady {
		t.Fatalf("poll: %v", e)
	}
	if e, _ := NextEvent(jobs, stop, short); e != TimedOut {
		t.Fatalf("next: %v", e)
	}
	jobs <- 7
	if e, job := NextEvent(jobs, stop, short); e != Job || job != 7 {
		t.Fatalf("next: %v %d", e, job)
	}
	stop <- struct{}{}
	if e, _ := NextEvent(jobs, stop, short); e != Stop {
		t.Fatalf("next: %v", e)
	}
}

// ANCHOR: closed_in_select
func TestAClosedChannelIsAlwaysReadyAndNilDisablesIt(t *testing.T) {
	jobs := make(chan int)
	close(jobs)
	for i := 0; i < 3; i++ { // ready every time: a loop around this select would spin
		if v, ok := <-jobs; v != 0 || ok {
			t.Fatalf("got %d, %v; want the zero value and false", v, ok)
		}
	}
	jobs = nil // a nil channel is never ready: its case is switched off
	select {
	case <-jobs:
		t.Fatal("a nil channel delivered")
	default:
	}
}

// ANCHOR_END: closed_in_select

func TestSelectPicksAtRandomAmongReadyCases(t *testing.T) {
	a, b := make(chan int, 1), make(chan int, 1)
	seen := map[string]int{}
	for i := 0; i < 1000; i++ {
		a <- 1
		b <- 2
		select {
		case <-a:
			seen["a"]++
			<-b
		case <-b:
			seen["b"]++
			<-a
		}
	}
	if seen["a"] == 0 || seen["b"] == 0 {
		t.Fatalf("one case starved: %v", seen)
	}
}

// ANCHOR: closing
func TestRangeEndsWhenTheSenderCloses(t *testing.T) {
	ch := make(chan int, 4)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for id := 0; id < 3; id++ {
			ch <- id * 10
		}
		close(ch) // only the sender closes: "no more values"
	}()
	var received []int
	for v := range ch { // ends when the channel is closed and empty
		received = append(received, v)
	}
	<-done
	sort.Ints(received)
	if len(received) != 3 || received[2] != 20 {
		t.Fatalf("received %v", received)
	}
	if v, ok := <-ch; v != 0 || ok { // closed: the zero value and false, every time
		t.Fatalf("got %d, %v", v, ok)
	}
}

// ANCHOR_END: closing
