//go:build !purego

package spikessm

//go:noescape
func addAVX512(a *addArgs)

//go:noescape
func addAVX2(a *addArgs)

// IDs of the Add kernels (after those of kernels_layernorm_amd64.go).
const (
	kAddAVX512 = kLayerNormAVX2 + 1 + iota
	kAddAVX2
)

// callAdd is the static dispatcher of the Add kernels (see callScan).
func callAdd(k asmKernel, a *addArgs) {
	switch k {
	case kAddAVX512:
		addAVX512(a)
	case kAddAVX2:
		addAVX2(a)
	default:
		panic("spikessm: bad Add kernel")
	}
}
