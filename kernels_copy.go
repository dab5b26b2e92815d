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

// TileReverse is Tile with time reversed: dst[t] holds channels
// block*Lanes.. of src row T−1−t (padding lanes 0). It panics like Tile.
func TileReverse(dst, src []float32, T, H, block int) {
	c0 := block * Lanes
	n := min(Lanes, H-c0)
	if n <= 0 || T <= 0 {
		clear(dst[:T*Lanes])
		return
	}
	_ = dst[:T*Lanes]
	_ = src[(T-1)*H+c0+n-1]
	if n == Lanes {
		copyRows16Impl(&dst[0], &src[(T-1)*H+c0], T, Lanes*4, -H*4)
		return
	}
	for t := range T {
		d := dst[t*Lanes : t*Lanes+Lanes]
		s := (T - 1 - t) * H
		copy(d[:n], src[s+c0:s+c0+n])
		clear(d[n:])
	}
}

// AddReversed adds the time-reversed tile src into dst, both [T][Lanes]:
// dst[t][l] += src[T−1−t][l], one float32 addition per element (the same
// bits on every architecture). It panics if either is shorter than T·Lanes.
func AddReversed(dst, src []float32, T int) {
	if T <= 0 {
		return
	}
	_ = dst[T*Lanes-1]
	_ = src[T*Lanes-1]
	addRows16Impl(&dst[0], &src[(T-1)*Lanes], T, Lanes*4, -Lanes*4)
}
