// Command deadlock blocks its only goroutine on a receive nobody will send to. The Go runtime
// notices that every goroutine is asleep and stops the process; pitfalls_test.go runs it.
package main

func main() {
	<-make(chan int)
}
