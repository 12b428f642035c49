// Package pitfalls holds the Go side of the book's Appendix B: each test shows what Go does in
// one of the guide's pitfalls — a leak that shows only in runtime.NumGoroutine, the deadlock
// the runtime does and does not detect, and the goroutine dump for a process that hangs.
package pitfalls
