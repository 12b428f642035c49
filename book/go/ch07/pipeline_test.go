package ch07

import (
	"bookgo/internal/testwait"
	"context"
	"errors"
	"io"
	"reflect"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"
)

// goroutines returns one snapshot of every goroutine's stack, taken with the world stopped:
// one entry per goroutine, its first line saying what it is doing ("[select]").
func goroutines() []string {
	buf := make([]byte, 1<<20)
	return strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n")
}

// parked counts the goroutines in the snapshot that run fn and are parked in state.
func parked(snapshot []string, fn, state string) int {
	n := 0
	for _, g := range snapshot {
		header := strings.SplitN(g, "\n", 2)[0]
		if strings.Contains(g, fn+"(") && strings.Contains(header, "["+state) {
			n++
		}
	}
	return n
}

// endless reads as line, again and again, for ever. It counts the lines it has begun to
// hand out, and calls then when it begins line number at.
type endless struct {
	line    string
	pending []byte
	begun   atomic.Int64
	at      int64
	then    func()
}

func (r *endless) Read(p []byte) (int, error) {
	if len(r.pending) == 0 {
		r.pending = []byte(r.line)
		if r.begun.Add(1) == r.at {
			r.then()
		}
	}
	n := copy(p, r.pending)
	r.pending = r.pending[n:]
	return n, nil
}

func TestTopWords(t *testing.T) {
	text := "The cat sat on the mat.\nThe mat was flat; the cat, fat.\n"
	got, err := TopWords(context.Background(), strings.NewReader(text), 3)
	want := []WordCount{{"the", 4}, {"cat", 2}, {"mat", 2}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("%v %v", got, err)
	}
}

// ANCHOR: unicode
// Words are runs of unicode letters and digits, lowercased rune by rune: "ÉTÉ" is "été". Go's
// lowercasing maps each rune on its own, with no case folding: "STRASSE" stays "strasse",
// not "straße".
func TestNonASCIIWords(t *testing.T) {
	text := "Straße straße ÉTÉ été naïve STRASSE"
	got, err := TopWords(context.Background(), strings.NewReader(text), 10)
	want := []WordCount{{"straße", 2}, {"été", 2}, {"naïve", 1}, {"strasse", 1}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("%v %v", got, err)
	}
	if strings.ToUpper("straße") != "STRAßE" || strings.EqualFold("straße", "STRASSE") {
		t.Fatal("Go folded ß")
	}
}

// ANCHOR_END: unicode

// A combining accent is not a letter: "été" written as e + U+0301 splits into two words.
func TestACombiningAccentSplitsAWord(t *testing.T) {
	got, err := TopWords(context.Background(), strings.NewReader("e\u0301te\u0301"), 10)
	want := []WordCount{{"e", 1}, {"te", 1}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("%q %v", got, err)
	}
}

// A read error ends the first stage, and TopWords returns it, not partial counts.
func TestAReadErrorIsReturned(t *testing.T) {
	broken := errors.New("connection reset")
	r := io.MultiReader(strings.NewReader("some words\n"), iotest.ErrReader(broken))
	if got, err := TopWords(context.Background(), r, 3); err != broken {
		t.Fatalf("%v %v", got, err)
	}
}

// ANCHOR: backpressure
// Nobody reads Tokenize's output: it stands for a third stage that has stalled. Tokenize
// fills its buffer and parks on its next send; then Chunks fills its own, and parks too.
// Then the first stage has read exactly a line for each place in the buffers, and one more
// for each stage: the one it holds and cannot send.
func TestAStalledStageHoldsBackTheFirst(t *testing.T) {
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := &endless{line: "word\n"}
	chunks, _ := Chunks(ctx, r)
	words := Tokenize(ctx, chunks)
	var snapshot []string
	testwait.Eventually(t, "both stages parked on their sends", func() bool {
		snapshot = goroutines()
		return parked(snapshot, "ch07.Chunks.func1", "select") == 1 &&
			parked(snapshot, "ch07.Tokenize.func1", "select") == 1
	})
	if read, most := r.begun.Load(), int64(cap(chunks)+cap(words)+2); read != most {
		t.Fatalf("the first stage read %d lines, want %d\n%s", read, most, strings.Join(snapshot, "\n\n"))
	}
	cancel() // and both stages, parked on their sends, stop
	testwait.Eventually(t, "goroutines back to the baseline", func() bool {
		return runtime.NumGoroutine() <= before
	})
}

// ANCHOR_END: backpressure

// ANCHOR: cancel
// Cancelling the context, here from inside the endless input, stops every stage: TopWords
// returns context.Canceled, and the number of goroutines is back where it was.
func TestCancellingStopsEveryStage(t *testing.T) {
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	r := &endless{line: "the same words again\n", at: 1000, then: cancel}
	if _, err := TopWords(ctx, r, 3); err != context.Canceled {
		t.Fatalf("err = %v", err)
	}
	testwait.Eventually(t, "goroutines back to the baseline", func() bool {
		return runtime.NumGoroutine() <= before
	})
}

// ANCHOR_END: cancel

// stuck is a reader whose first Read cancels the pipeline and then blocks until open is closed.
type stuck struct {
	cancel func()
	open   chan struct{}
}

func (r stuck) Read([]byte) (int, error) {
	r.cancel()
	<-r.open
	return 0, io.EOF
}

// ANCHOR: stuck_read
// A cancel reaches a stage only where it selects on ctx.Done(): one blocked in a Read stays
// blocked until the Read returns. TopWords does not wait for it, and it then stops.
func TestACancelDoesNotInterruptARead(t *testing.T) {
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	r := stuck{cancel, make(chan struct{})}
	if _, err := TopWords(ctx, r, 3); err != context.Canceled {
		t.Fatalf("err = %v", err)
	}
	testwait.Eventually(t, "the first stage blocked in its Read", func() bool {
		return parked(goroutines(), "ch07.Chunks.func1", "chan receive") == 1
	})
	close(r.open) // the Read returns
	testwait.Eventually(t, "goroutines back to the baseline", func() bool {
		return runtime.NumGoroutine() <= before
	})
}

// ANCHOR_END: stuck_read
