package ch05

import (
	"testing"
	"time"
)

// ANCHOR: handoff_per_job
// turn is the jobs one turn of a server's loop accepts: one per connection, 64 connections.
const turn = 64

// accept stands for the loop's work on one submission (parse, validate, store, answer):
// 400 multiply-adds, so that the loop, not the worker, is the slower of the two (as in the
// server, where a `sleep 0` job takes a fraction of its submission's time).
func accept(i int) int {
	x := i
	for k := 0; k < 400; k++ {
		x = x*31 + k
	}
	return x
}

// One channel send per job, as it is accepted: Go's `jobs <- job`, to one worker goroutine.
func BenchmarkHandOffPerJob(b *testing.B) {
	jobs := make(chan int, 1024)
	var sink, empty int
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			empty += btoi(len(jobs) == 0) // nothing queued: the receive parks until a send
			job, ok := <-jobs
			if !ok {
				return
			}
			sink += job // the job itself: nothing, like a `sleep 0`
		}
	}()
	measure(b, func() {
		for j := 0; j < turn; j++ {
			jobs <- accept(j)
		}
	}, func() { close(jobs); <-done }, &empty)
}

// ANCHOR_END: handoff_per_job

// ANCHOR: handoff_per_turn
// One send per turn: the turn's jobs as one slice, as chapter 5's loop hands them over.
func BenchmarkHandOffPerTurn(b *testing.B) {
	turns := make(chan []int, 1024/turn)
	var sink, empty int
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			empty += btoi(len(turns) == 0)
			batch, ok := <-turns
			if !ok {
				return
			}
			for _, job := range batch {
				sink += job
			}
		}
	}()
	measure(b, func() {
		batch := make([]int, 0, turn)
		for j := 0; j < turn; j++ {
			batch = append(batch, accept(j))
		}
		turns <- batch
	}, func() { close(turns); <-done }, &empty)
}

// measure runs b.N turns, waits for the worker, and reports per job: the time, and how often
// the worker found nothing queued (read after `finish`, which waits for the worker).
func measure(b *testing.B, oneTurn, finish func(), empty *int) {
	b.ResetTimer()
	started := time.Now()
	for i := 0; i < b.N; i++ {
		oneTurn()
	}
	finish()
	elapsed := time.Since(started)
	jobs := float64(b.N * turn)
	b.ReportMetric(float64(elapsed.Nanoseconds())/jobs, "ns/job")
	b.ReportMetric(float64(*empty)/jobs, "empty/job")
}

// ANCHOR_END: handoff_per_turn

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
