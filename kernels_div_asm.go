//go:build !purego && (amd64 || arm64)

package spikessm

// divChannelsImpl divides rows rows of c floats by d[0..c) (DivChannels has
// checked every bound).
//
//go:noescape
func divChannelsImpl(out, in, d *float32, rows, c int)
