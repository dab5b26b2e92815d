//go:build !purego && (amd64 || arm64)

package spikessm

// sumRowsImpl adds rows rows of c floats from x into sum (SumRows has
// checked every bound).
//
//go:noescape
func sumRowsImpl(sum, x *float32, rows, c int)
