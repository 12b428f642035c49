// Package book holds nothing itself: the Go listings of the book live in one package per
// chapter beneath it (ch01, ch03, …). Each builds, passes `go vet`, and its tests run under
// `go test -race`; the book includes them by anchor, exactly as it includes the Rust.
//
//	cd book/go && go vet ./... && go test -race ./...
package book
