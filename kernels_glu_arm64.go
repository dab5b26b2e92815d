//go:build !purego

package spikessm

// callGLUExp runs the NEON GLU kernel (kernels_arm64.s; one kernel, so k is
// not needed).
func callGLUExp(k asmKernel, a *gluArgs) { callGLU(k, a) }
