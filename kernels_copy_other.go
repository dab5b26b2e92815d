//go:build purego || !(amd64 || arm64)

package spikessm

import "unsafe"

// rows16 views a strided run of rows 64-byte rows starting at p (byte stride,
// possibly negative) as a slice starting at its lowest row, and returns the
// float index of row 0 in it and the stride in floats.
func rows16(p *float32, rows, stride int) (s []float32, first, step int) {
	step = stride / 4
	if step < 0 {
		first = (rows - 1) * -step
		p = (*float32)(unsafe.Add(unsafe.Pointer(p), -first*4))
	}
	n := (rows-1)*max(step, -step) + Lanes
	return unsafe.Slice(p, n), first, step
}

func copyRows16Impl(dst, src *float32, rows, dstStride, srcStride int) {
	if rows <= 0 {
		return
	}
	d, d0, ds := rows16(dst, rows, dstStride)
	s, s0, ss := rows16(src, rows, srcStride)
	for t := range rows {
		*(*[Lanes]float32)(d[d0+t*ds:]) = *(*[Lanes]float32)(s[s0+t*ss:])
	}
}

func addRows16Impl(dst, src *float32, rows, dstStride, srcStride int) {
	if rows <= 0 {
		return
	}
	d, d0, ds := rows16(dst, rows, dstStride)
	s, s0, ss := rows16(src, rows, srcStride)
	for t := range rows {
		dr := (*[Lanes]float32)(d[d0+t*ds:])
		sr := (*[Lanes]float32)(s[s0+t*ss:])
		for l := range dr {
			dr[l] += sr[l]
		}
	}
}
