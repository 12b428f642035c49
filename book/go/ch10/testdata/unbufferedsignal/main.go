// Command unbufferedsignal hands signal.Notify an unbuffered channel: `go vet` must report
// it. It lives under testdata, so `go vet ./...` and `go test ./...` skip it; ch10's
// TestVetFindsAnUnbufferedSignalChannel vets it by name.
package main

import (
	"os"
	"os/signal"
)

// ANCHOR: unbuffered_signal
func main() {
	signals := make(chan os.Signal) // Notify does not wait: a signal sent while nobody receives is lost
	signal.Notify(signals, os.Interrupt)
	<-signals
}

// ANCHOR_END: unbuffered_signal
