package ch10

import (
	"context"
	"sync"
	"sync/atomic"
)

// ANCHOR: queue
// Queue is a worker pool that can be shut down while handlers still submit to it: the
// mutex keeps TrySubmit's send and Shutdown's close apart, so no send ever meets a closed
// channel (which would panic).
type Queue struct {
	jobs    chan func(context.Context)
	workers int
	ctx     context.Context // the jobs' context, cancelled at the drain deadline
	cancel  context.CancelFunc
	mu      sync.RWMutex
	closed  bool
	wg      sync.WaitGroup
	running atomic.Int64
}

func NewQueue(workers, size int) *Queue {
	ctx, cancel := context.WithCancel(context.Background())
	q := &Queue{jobs: make(chan func(context.Context), size), workers: workers, ctx: ctx, cancel: cancel}
	q.wg.Add(workers)
	for i := 0; i < workers; i++ {
		go func() {
			defer q.wg.Done()
			for job := range q.jobs { // after the deadline, a queued job starts cancelled
				q.running.Add(1)
				job(q.ctx)
				q.running.Add(-1)
			}
		}()
	}
	return q
}

// ANCHOR_END: queue

// ANCHOR: queue_submit
// TrySubmit queues job, or refuses it: the queue is full, or shutting down.
func (q *Queue) TrySubmit(job func(context.Context)) bool {
	q.mu.RLock()
	defer q.mu.RUnlock()
	if q.closed {
		return false
	}
	select {
	case q.jobs <- job:
		return true
	default:
		return false
	}
}

// ANCHOR_END: queue_submit

// ANCHOR: queue_shutdown
// Shutdown refuses new jobs, and waits for the workers to run every job queued. If ctx ends
// first, it cancels the jobs' context, waits for them to return, and returns ctx's error:
// a job that ignores its ctx keeps Shutdown, and the process, waiting.
func (q *Queue) Shutdown(ctx context.Context) error {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		close(q.jobs) // the workers run what is queued, then end
	}
	q.mu.Unlock()
	finished := make(chan struct{})
	go func() {
		q.wg.Wait()
		close(finished)
	}()
	select {
	case <-finished:
		q.cancel() // releases the context; every job has returned
		return nil
	case <-ctx.Done():
		q.cancel() // every job, running or still queued, sees its ctx cancelled
		<-finished
		return ctx.Err()
	}
}

// Len is the number of jobs waiting for a worker; Running, the number being run.
func (q *Queue) Len() int       { return len(q.jobs) }
func (q *Queue) Running() int64 { return q.running.Load() }

// ANCHOR_END: queue_shutdown
