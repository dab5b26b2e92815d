//go:build !purego

package spikessm

//go:noescape
func sdnNEON(a *sdnArgs)

// kSDNNEON is the ID of the SDN kernel (after those of kernels_arm64.go).
const kSDNNEON = kGLUNEON + 1

// callSDN is the static dispatcher of the SDN kernel (see callScan).
func callSDN(_ asmKernel, a *sdnArgs) { sdnNEON(a) }
