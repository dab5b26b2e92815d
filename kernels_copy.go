package spikessm

// copyRows16 copies rows 64-byte rows (16 float32) from src to dst, advancing
// src by srcStride and dst by dstStride floats after each row: the whole-block
// case of Tile and Untile. The caller has checked that every row lies inside
// both slices. Assembly on amd64 (SSE2 moves, part of the amd64 baseline) and
// arm64; copyRows16Go elsewhere.
func copyRows16(dst, src []float32, rows, dstStride, srcStride int) {
	if rows <= 0 {
		return
	}
	_ = dst[(rows-1)*dstStride+Lanes-1]
	_ = src[(rows-1)*srcStride+Lanes-1]
	copyRows16Impl(&dst[0], &src[0], rows, dstStride*4, srcStride*4)
}

// copyRows16Go is the portable form of copyRows16 (and its definition).
func copyRows16Go(dst, src []float32, rows, dstStride, srcStride int) {
	for t := range rows {
		*(*[Lanes]float32)(dst[t*dstStride:]) = *(*[Lanes]float32)(src[t*srcStride:])
	}
}
