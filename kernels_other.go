//go:build purego || !(amd64 || arm64)

package spikessm

// archKernels returns no assembly variants: this build uses generic only.
func archKernels() []*Kernels { return nil }

// clockHz is not measured without assembly (benchmarks report no %peak).
func clockHz() float64 { return 0 }
