//go:build !purego

package spikessm

//go:generate go run kernels_scanunit_gen.go

// Scan kernels for unit-b blocks (kernels_scanunit_amd64.s, generated).

//go:noescape
func scanUnitAVX512(a *scanArgs)

//go:noescape
func scanUnitAVX2(a *scanArgs)

// IDs of the unit-b scan kernels (fixed values, apart from the iota lists of
// the other kernel files).
const (
	kScanUnitAVX512 asmKernel = 200
	kScanUnitAVX2   asmKernel = 201
)
