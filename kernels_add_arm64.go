//go:build !purego

package spikessm

// callAdd is never called on arm64: the NEON table uses the generic Add
// (asmImpl.add is 0).
func callAdd(_ asmKernel, _ *addArgs) { panic("spikessm: no Add assembly on arm64") }
