//go:build purego || !(amd64 || arm64)

package spikessm

import "unsafe"

func heavisideImpl(out, in *float32, n int, threshold float32) {
	heavisideGo(unsafe.Slice(out, n), unsafe.Slice(in, n), threshold)
}
