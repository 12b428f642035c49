// Package ch01 is the Go side of chapter 1: the channel patterns of the guide's §10, and the
// guide's first step, "Basic HTTP server with goroutine per request". Every claim the chapter
// makes about Go is a test in channels_test.go or server_test.go.
package ch01

import "time"

// Event is what one round of a worker's select saw.
type Event int

// The four things a select round can see.
const (
	Job Event = iota
	Stop
	TimedOut
	NothingReady
)

// ANCHOR: guide_select
// GuideSelect is the guide's snippet, as written: a timeout case and a default in one select.
func GuideSelect(jobCh <-chan int, stopCh <-chan struct{}, timeout time.Duration) Event {
	select {
	case <-jobCh:
		return Job // Process job
	case <-stopCh:
		return Stop // Stop processing
	case <-time.After(timeout):
		return TimedOut // Handle timeout: never chosen, a timer just started is not ready yet
	default:
		return NothingReady // Non-blocking operation
	}
}

// ANCHOR_END: guide_select

// ANCHOR: select
// NextEvent waits for a job or a stop signal, but no longer than timeout.
func NextEvent(jobs <-chan int, stop <-chan struct{}, timeout time.Duration) (Event, int) {
	select {
	case job, ok := <-jobs:
		if !ok {
			return Stop, 0 // closed: no job will ever come
		}
		return Job, job
	case <-stop:
		return Stop, 0
	case <-time.After(timeout):
		return TimedOut, 0
	}
}

// PollEvent is the same, but never waits: the default case.
func PollEvent(jobs <-chan int, stop <-chan struct{}) (Event, int) {
	select {
	case job, ok := <-jobs:
		if !ok {
			return Stop, 0
		}
		return Job, job
	case <-stop:
		return Stop, 0
	default:
		return NothingReady, 0
	}
}

// ANCHOR_END: select
