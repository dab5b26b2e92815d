//go:build !purego && (amd64 || arm64)

package spikessm

// addArgs is the argument block of the Add assembly kernels (offsets are part
// of kernels_add_amd64.s).
type addArgs struct {
	out, a, b *float32 // 0, 8, 16
	n         int      // 24: a multiple of the register width
}

// addChunk bounds the elements per assembly call.
const addChunk = 1 << 18

// runAdd is Kernels.Add for this ISA: whole registers in assembly, the
// n%width tail in Go (same bits).
func (im *asmImpl) runAdd(out, a, b []float32) {
	n := len(out)
	a, b = a[:n], b[:n]
	body := n - n%im.width
	for i0 := 0; i0 < body; i0 += addChunk {
		callAdd(im.add, &addArgs{out: &out[i0], a: &a[i0], b: &b[i0], n: min(addChunk, body-i0)})
	}
	if body < n {
		addGeneric(out[body:], a[body:], b[body:])
	}
}
