//go:build !purego

package spikessm

//go:noescape
func gluExpAVX512(a *gluArgs)

//go:noescape
func gluExpAVX2(a *gluArgs)

// IDs of the GLU kernels (after those of kernels_add_amd64.go).
const (
	kGLUExpAVX512 = kAddAVX2 + 1 + iota
	kGLUExpAVX2
)

// callGLUExp is the static dispatcher of the GLU kernels (see callScan).
func callGLUExp(k asmKernel, a *gluArgs) {
	switch k {
	case kGLUExpAVX512:
		gluExpAVX512(a)
	case kGLUExpAVX2:
		gluExpAVX2(a)
	default:
		panic("spikessm: bad GLU kernel")
	}
}
