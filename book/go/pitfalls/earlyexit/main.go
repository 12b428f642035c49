// Command earlyexit returns from main while a goroutine is still at work. The program exits at
// once: Go does not wait for other goroutines. pitfalls_test.go runs it.
package main

import "fmt"

func main() {
	work := make(chan struct{})
	go func() {
		<-work // mid-work: it would finish once work is closed, and never will be
		fmt.Println("worker finished")
	}()
	fmt.Println("main returns")
}
