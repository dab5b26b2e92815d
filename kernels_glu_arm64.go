//go:build !purego

package spikessm

// callGLUExp runs the NEON GLU kernel (kernels_arm64.s; one kernel, so k is
// not needed).
func callGLUExp(k asmKernel, a *gluArgs) { callGLU(k, a) }

// gluRowsKernel is false on arm64: GLURows calls GLU per row.
func gluRowsKernel(_ asmKernel) bool { return false }

// callGLURows is never called on arm64.
func callGLURows(_ asmKernel, _ *gluRowsArgs) { panic("spikessm: no GLURows assembly on arm64") }
