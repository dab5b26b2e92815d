//go:build !purego

package spikessm

//go:noescape
func geluAVX512(a *geluArgs)

//go:noescape
func geluAVX2(a *geluArgs)

// IDs of the GELU kernels (after those of kernels_sdn_amd64.go).
const (
	kGELUAVX512 = kSDNAVX2 + 1 + iota
	kGELUAVX2
)

// callGELU is the static dispatcher of the GELU kernels (see callScan).
func callGELU(k asmKernel, a *geluArgs) {
	switch k {
	case kGELUAVX512:
		geluAVX512(a)
	case kGELUAVX2:
		geluAVX2(a)
	default:
		panic("spikessm: bad GELU kernel")
	}
}
