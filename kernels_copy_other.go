//go:build purego || !(amd64 || arm64)

package spikessm

import "unsafe"

func copyRows16Impl(dst, src *float32, rows, dstStride, srcStride int) {
	d := unsafe.Slice(dst, (rows-1)*dstStride/4+Lanes)
	s := unsafe.Slice(src, (rows-1)*srcStride/4+Lanes)
	copyRows16Go(d, s, rows, dstStride/4, srcStride/4)
}
