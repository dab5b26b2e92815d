//go:build purego || !(amd64 || arm64)

package spikessm

// archKernels returns no assembly variants: this build uses generic only.
func archKernels() []*Kernels { return nil }
