// Package ch07 is the Go side of chapter 7: the guide's §3 pipeline, counting the words of a
// text in stages — chunks, words, counts — and taking the commonest. Every claim the chapter
// makes about Go is a test in pipeline_test.go.
package ch07

import (
	"bufio"
	"context"
	"io"
	"sort"
	"strings"
	"unicode"
)

// capacity is every channel's buffer between two stages: small, so that a stage that
// falls behind soon holds back the stages before it.
const capacity = 4

// ANCHOR: source
// Chunks is the first stage: it reads r a line at a time and sends each line on. When r
// is done it sends the read error, nil at the end of the input, on errc, buffered: no
// one need ever read it.
func Chunks(ctx context.Context, r io.Reader) (<-chan string, <-chan error) {
	out, errc := make(chan string, capacity), make(chan error, 1)
	go func() {
		defer close(out)
		lines := bufio.NewScanner(r)
		for lines.Scan() {
			select {
			case out <- lines.Text():
			case <-ctx.Done():
				errc <- ctx.Err()
				return
			}
		}
		errc <- lines.Err()
	}()
	return out, errc
}

// ANCHOR_END: source

// ANCHOR: stage
// Tokenize is the second stage: it splits each chunk into words, runs of letters and
// digits, and lowercases them. It closes its output when its input is closed, and waits
// to send only while ctx lasts.
func Tokenize(ctx context.Context, chunks <-chan string) <-chan string {
	out := make(chan string, capacity)
	go func() {
		defer close(out)
		for chunk := range chunks {
			for _, word := range strings.FieldsFunc(chunk, notInWord) {
				select {
				case out <- strings.ToLower(word):
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out
}

func notInWord(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }

// ANCHOR_END: stage

// ANCHOR: count
// Count is the third stage: it counts the words, and sends the counts once its input is
// closed. Closed early by a cancel, it sends what it has: partial counts.
func Count(ctx context.Context, words <-chan string) <-chan map[string]int {
	out := make(chan map[string]int, 1)
	go func() {
		defer close(out)
		counts := make(map[string]int)
		for word := range words {
			counts[word]++
		}
		select {
		case out <- counts:
		case <-ctx.Done():
		}
	}()
	return out
}

// ANCHOR_END: count

// ANCHOR: pipeline
// TopWords runs the pipeline on r and returns its k commonest words. Its deferred cancel
// stops every stage, whichever way it returns.
func TopWords(ctx context.Context, r io.Reader, k int) ([]WordCount, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks, errc := Chunks(ctx, r)
	countc := Count(ctx, Tokenize(ctx, chunks))
	select {
	case <-ctx.Done():
		return nil, ctx.Err() // without waiting for a stage that is stuck in r.Read
	case counts := <-countc:
		if err := ctx.Err(); err != nil {
			return nil, err // a stage stopped early: the counts are partial
		}
		if err := <-errc; err != nil { // sent before chunks was closed: no wait
			return nil, err
		}
		return topK(counts, k), nil
	}
}

// ANCHOR_END: pipeline

// WordCount is one line of the answer.
type WordCount struct {
	Word  string
	Count int
}

// topK is the output: the k commonest words, the commonest first, ties in the order of
// their bytes.
func topK(counts map[string]int, k int) []WordCount {
	all := make([]WordCount, 0, len(counts))
	for word, n := range counts {
		all = append(all, WordCount{word, n})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].Count != all[j].Count {
			return all[i].Count > all[j].Count
		}
		return all[i].Word < all[j].Word
	})
	if len(all) > k {
		all = all[:k]
	}
	return all
}
