//go:build !purego && (amd64 || arm64)

package spikessm

// countNonzeroImpl counts the non-zero floats among n at x (n ≥ 1).
//
//go:noescape
func countNonzeroImpl(x *float32, n int) int
