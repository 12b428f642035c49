// Command unseeded prints the first number math/rand's global source gives a process that
// has not seeded it. It lives under testdata, so `go vet ./...` and `go test ./...` skip it;
// ch08's TestGlobalRandIsTheSameInEveryProcess runs it by name.
package main

import (
	"fmt"
	"math/rand"
)

func main() {
	fmt.Println(rand.Int63())
}
