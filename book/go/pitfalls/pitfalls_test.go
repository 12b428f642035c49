package pitfalls

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ANCHOR: leak
// The caller gives up waiting; the work finishes later, and its send has nobody to take it. It
// blocks for ever, and nothing reports it: it is one more in runtime.NumGoroutine, and a dump of
// every goroutine's stack shows where it waits.
func TestALeakShowsOnlyInNumGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	results := make(chan int) // unbuffered: a send waits for a receiver
	finish := make(chan struct{})
	go leakySender(finish, results)
	select {
	case <-results:
		t.Fatal("the work cannot finish before finish is closed")
	case <-time.After(50 * time.Millisecond): // the caller times out and moves on
	}
	close(finish)
	t.Logf("goroutines: %d before, %d now", before, runtime.NumGoroutine())
	dump := make([]byte, 1<<20)
	dump = dump[:runtime.Stack(dump, true)]
	if !strings.Contains(string(dump), "pitfalls.leakySender") {
		t.Fatalf("the blocked sender is not in the dump:\n%s", dump)
	}
	<-results // free it, so that the test itself leaks nothing
}

// leakySender does the work, then blocks on its send until someone receives.
func leakySender(finish <-chan struct{}, results chan<- int) {
	<-finish      // the work takes longer than the caller will wait
	results <- 42 // blocks for ever if the caller is gone
}

// ANCHOR_END: leak

// child runs this test binary again, running only the test named, with marker set.
func child(name, marker string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^"+name+"$", "-test.timeout=0")
	cmd.Env = append(os.Environ(), "BOOKGO_CHILD="+marker, "GOTRACEBACK=all")
	return cmd
}

// ANCHOR: deadlock
// When every goroutine is blocked, the runtime stops the process and says so: here, a
// program whose main goroutine receives from a channel nobody sends to (deadlock/main.go).
// (A test binary would not do: its pending timers hide the deadlock from the runtime.)
func TestTheRuntimeReportsADeadlockOfEveryGoroutine(t *testing.T) {
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command(goTool, "run", "./deadlock").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "all goroutines are asleep - deadlock!") {
		t.Fatalf("no deadlock report (err %v):\n%s", err, out)
	}
}

// ANCHOR_END: deadlock

// ANCHOR: sigquit
// A process that hangs prints every goroutine's stack when it gets SIGQUIT (Ctrl-\).
func TestSIGQUITDumpsEveryGoroutine(t *testing.T) {
	if os.Getenv("BOOKGO_CHILD") == "sigquit" {
		go func() { <-make(chan int) }() // a receive nobody will send to: in the dump
		os.Stdout.WriteString("ready\n")
		select {}
	}
	cmd := child("TestSIGQUITDumpsEveryGoroutine", "sigquit")
	stdout, _ := cmd.StdoutPipe()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); line != "ready\n" {
		t.Fatalf("child said %q", line)
	}
	_ = cmd.Process.Signal(syscall.SIGQUIT)
	_ = cmd.Wait()
	dump := stderr.String()
	if !strings.Contains(dump, "SIGQUIT: quit") || !strings.Contains(dump, "[chan receive]") {
		t.Fatalf("no goroutine dump:\n%s", dump)
	}
}

// ANCHOR_END: sigquit

// ANCHOR: early_exit
// Returning from main ends the program at once, whatever other goroutines are doing: Go does
// not wait for them (earlyexit/main.go). That is pitfall 6, "Ignoring WaitGroup".
func TestReturningFromMainAbandonsGoroutines(t *testing.T) {
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command(goTool, "run", "./earlyexit").CombinedOutput()
	if err != nil || string(out) != "main returns\n" {
		t.Fatalf("err %v, output %q: want a clean exit with the worker unfinished", err, out)
	}
}

// ANCHOR_END: early_exit
