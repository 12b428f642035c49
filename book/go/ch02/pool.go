// Package ch02 is the Go side of chapter 2: the guide's §1 worker pool, item by item of its
// checklist, and a handler that uses it. Every claim the chapter makes about Go is a test in
// pool_test.go.
package ch02

import (
	"encoding/json"
	"log"
	"net/http"
	"strconv"
	"sync"
)

// ANCHOR: job
// Job is the checklist's "Define Job struct": what to compute, and where the answer goes.
type Job struct {
	Limit  int
	Result chan int // buffered, capacity 1: the worker never waits to hand the answer over
}

// ANCHOR_END: job

// ANCHOR: pool
// Pool is a fixed number of goroutines reading jobs from a buffered channel.
type Pool struct {
	jobs chan Job
	wg   sync.WaitGroup
}

// NewPool starts workers goroutines, each running run on the jobs it takes from a channel
// of queue jobs.
func NewPool(workers, queue int, run func(Job)) *Pool {
	p := &Pool{jobs: make(chan Job, queue)} // "Create buffered channel for jobs"
	p.wg.Add(workers)
	for i := 0; i < workers; i++ { // "Spawn fixed number of worker goroutines"
		go func() {
			defer p.wg.Done()
			for job := range p.jobs { // "Workers read from job channel in loop"
				runAlone(run, job)
			}
		}()
	}
	return p
}

// ANCHOR_END: pool

// ANCHOR: submit
// TrySubmit queues job, or refuses it at once; it never waits. Called after Shutdown, it
// panics: a send on a closed channel.
func (p *Pool) TrySubmit(job Job) bool {
	select {
	case p.jobs <- job:
		return true
	default: // full: the caller answers 503
		return false
	}
}

// Shutdown is "Handle graceful shutdown": no more jobs, run the queued ones, wait for all.
func (p *Pool) Shutdown() {
	close(p.jobs)
	p.wg.Wait()
}

// runAlone runs one job; a panic in it is recovered, so the worker lives on. Without the
// recover, a panic in any goroutine ends the whole process.
func runAlone(run func(Job), job Job) {
	defer func() {
		if r := recover(); r != nil {
			log.Printf("a job panicked: %v; the worker carries on", r)
		}
	}()
	run(job)
}

// ANCHOR_END: submit

// ANCHOR: handler
// PrimesHandler queues /primes on the pool, or answers 503 when the queue is full.
func PrimesHandler(pool *Pool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		limit, err := strconv.Atoi(r.URL.Query().Get("limit"))
		if err != nil || limit < 0 || limit > 10_000_000 {
			http.Error(w, "invalid limit", http.StatusBadRequest)
			return
		}
		job := Job{Limit: limit, Result: make(chan int, 1)}
		if !pool.TrySubmit(job) {
			w.Header().Set("Retry-After", "1")
			http.Error(w, "queue full", http.StatusServiceUnavailable)
			return
		}
		// w may not be used after this function returns, so its goroutine waits here,
		// parked, for as long as the job is queued and running.
		primes := <-job.Result
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]int{"limit": limit, "primes": primes})
	}
}

// ANCHOR_END: handler
