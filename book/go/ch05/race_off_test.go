//go:build !race

package ch05

const raceEnabled = false
