//go:build !purego

package spikessm

//go:noescape
func sdnAVX512(a *sdnArgs)

//go:noescape
func sdnAVX2(a *sdnArgs)

// IDs of the SDN kernels (after those of kernels_amd64.go).
const (
	kSDNAVX512 = kGemmAVX2 + 1 + iota
	kSDNAVX2
)

// callSDN is the static dispatcher of the SDN kernels (see callScan).
func callSDN(k asmKernel, a *sdnArgs) {
	switch k {
	case kSDNAVX512:
		sdnAVX512(a)
	case kSDNAVX2:
		sdnAVX2(a)
	default:
		panic("spikessm: bad SDN kernel")
	}
}
