//go:build !purego

package spikessm

// callGELU is never called on arm64: the NEON table uses the generic GELU
// (asmImpl.gelu is 0).
func callGELU(_ asmKernel, _ *geluArgs) { panic("spikessm: no GELU assembly on arm64") }
