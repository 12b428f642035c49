package ch01

import (
	"testing"
	"time"
)

// ANCHOR: no_receiver
// A send that no receiver will ever take does not panic and returns no error: it blocks, and
// its goroutine leaks. The test shows it still blocked when a timer fires, then frees it.
func TestASendWithNoReceiverBlocksForever(t *testing.T) {
	ch := make(chan int) // the receiver has gone away: nobody will read
	sent := make(chan struct{})
	go func() {
		ch <- 1 // blocks here, for ever
		close(sent)
	}()
	select {
	case <-sent:
		t.Fatal("the send completed with nobody receiving")
	case <-time.After(100 * time.Millisecond): // still blocked: no panic, no error
	}
	<-ch // unblock it, so that the test itself leaks nothing
	<-sent
}

// ANCHOR_END: no_receiver

// ANCHOR: send_after_close
// What panics is a send on a closed channel, and closing one twice.
func TestASendOnAClosedChannelPanics(t *testing.T) {
	ch := make(chan int, 1)
	close(ch)
	if msg := panicOf(func() { ch <- 1 }); msg != "send on closed channel" {
		t.Fatalf("panic: %q", msg)
	}
	if msg := panicOf(func() { close(ch) }); msg != "close of closed channel" {
		t.Fatalf("panic: %q", msg)
	}
}

// panicOf runs f and returns the message of its panic, or "" if it did not panic.
func panicOf(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = r.(error).Error()
		}
	}()
	f()
	return ""
}

// ANCHOR_END: send_after_close
