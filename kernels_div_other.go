//go:build purego || !(amd64 || arm64)

package spikessm

import "unsafe"

func divChannelsImpl(out, in, d *float32, rows, c int) {
	divChannelsGo(unsafe.Slice(out, rows*c), unsafe.Slice(in, rows*c), unsafe.Slice(d, c), c)
}
