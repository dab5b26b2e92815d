//go:build !purego

package spikessm

//go:noescape
func gluExpAVX512(a *gluArgs)

//go:noescape
func gluExpAVX2(a *gluArgs)

//go:noescape
func gluRowsExpAVX512(a *gluRowsArgs)

//go:noescape
func gluRowsExpAVX2(a *gluRowsArgs)

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

// gluRowsKernel reports whether GLU kernel k has a GLURows form.
func gluRowsKernel(k asmKernel) bool { return k == kGLUExpAVX512 || k == kGLUExpAVX2 }

// callGLURows is the static dispatcher of the GLURows kernels.
func callGLURows(k asmKernel, a *gluRowsArgs) {
	switch k {
	case kGLUExpAVX512:
		gluRowsExpAVX512(a)
	case kGLUExpAVX2:
		gluRowsExpAVX2(a)
	default:
		panic("spikessm: bad GLURows kernel")
	}
}
