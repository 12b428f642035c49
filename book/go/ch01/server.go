package ch01

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// ANCHOR: server
// NewMux is the guide's "Basic HTTP server with goroutine per request". net/http runs each
// connection on a goroutine of its own, so a slow /primes holds up nobody else.
func NewMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("/primes", func(w http.ResponseWriter, r *http.Request) {
		limit, err := strconv.Atoi(r.URL.Query().Get("limit"))
		if err != nil || limit < 0 || limit > 10_000_000 {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_limit"})
			return
		}
		// The work runs right here, on this request's goroutine.
		writeJSON(w, http.StatusOK, map[string]int{"limit": limit, "primes": CountPrimesBelow(limit)})
	})
	return mux
}

// ANCHOR_END: server

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// CountPrimesBelow counts the primes below limit with a sieve of Eratosthenes.
func CountPrimesBelow(limit int) int {
	if limit < 3 {
		return 0
	}
	composite := make([]bool, limit)
	count := 0
	for n := 2; n < limit; n++ {
		if composite[n] {
			continue
		}
		count++
		for m := n * n; m < limit; m += n {
			composite[m] = true
		}
	}
	return count
}
