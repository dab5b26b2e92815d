//go:build !purego && (amd64 || arm64)

package spikessm

// heavisideImpl thresholds n floats of in into out (Heaviside has checked
// the lengths).
//
//go:noescape
func heavisideImpl(out, in *float32, n int, threshold float32)
