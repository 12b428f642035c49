// Package ch05 is the Go side of chapter 5: the guide's §8 job status sketch, and the
// behaviour of Go the chapter relies on when it says what the sketch leaves open. Every claim
// the chapter makes about Go is a test in jobs_test.go.
package ch05

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// ANCHOR: job_status
type JobStatus struct {
	ID        string
	Status    string // "pending", "running", "completed", "failed"
	Result    interface{}
	Error     error
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Store in map with mutex protection
var (
	jobs   = make(map[string]*JobStatus)
	jobsMu sync.RWMutex
)

// ANCHOR_END: job_status

// ANCHOR: pointer_bug
// statusOf looks the job up under the read lock — and reads it after the unlock,
// while a worker may be writing it: the lock guarded the map, not the job.
func statusOf(id string) string {
	jobsMu.RLock()
	job := jobs[id]
	jobsMu.RUnlock()
	return job.Status // racy
}

// ANCHOR_END: pointer_bug

// setStatus is the worker's side: it writes under the write lock, correctly.
func setStatus(id, status string) {
	jobsMu.Lock()
	jobs[id].Status = status
	jobsMu.Unlock()
}

// ANCHOR: detached
// SubmitDetachedWrong starts the job under the request's context, which net/http
// cancels as soon as this handler returns its 202.
func SubmitDetachedWrong(run func(context.Context)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		go run(r.Context())
		w.WriteHeader(http.StatusAccepted)
	}
}

// ANCHOR_END: detached
