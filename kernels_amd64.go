//go:build !purego

package spikessm

// archKernels returns the assembly variants this CPU can run, best first.
// (Assembly is being added; until then only generic is offered.)
func archKernels() []*Kernels { return nil }
