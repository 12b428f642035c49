// Package lostcancel forgets a cancel on purpose: `go vet` must report it. It lives under
// testdata, so `go vet ./...` and `go test ./...` skip it; ch03's TestVetFindsALostCancel
// vets it by name.
package lostcancel

import (
	"context"
	"time"
)

// ANCHOR: lost_cancel
// Fetch forgets `defer cancel()`: the child, and its timer, live on until the deadline.
func Fetch(parent context.Context) error {
	ctx, _ := context.WithTimeout(parent, 5*time.Second)
	return ctx.Err()
}

// ANCHOR_END: lost_cancel
