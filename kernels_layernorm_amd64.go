//go:build !purego

package spikessm

//go:noescape
func layerNormAVX512(a *lnArgs)

//go:noescape
func layerNormAVX2(a *lnArgs)

// IDs of the LayerNorm kernels (after those of kernels_gelu_amd64.go).
const (
	kLayerNormAVX512 = kGELUAVX2 + 1 + iota
	kLayerNormAVX2
)

// callLayerNorm is the static dispatcher of the LayerNorm kernels (see
// callScan).
func callLayerNorm(k asmKernel, a *lnArgs) {
	switch k {
	case kLayerNormAVX512:
		layerNormAVX512(a)
	case kLayerNormAVX2:
		layerNormAVX2(a)
	default:
		panic("spikessm: bad LayerNorm kernel")
	}
}
