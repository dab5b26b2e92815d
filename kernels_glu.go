package spikessm

// gluRowsGeneric is Kernels.GLURows of the generic table: gluGeneric on each
// row.
func gluRowsGeneric(dst, src []float32, h int) { gluRowsWith(gluGeneric, dst, src, h) }

// gluRowsWith runs glu on each row of the GLURows layout.
func gluRowsWith(glu func(dst, a, b []float32), dst, src []float32, h int) {
	if h <= 0 {
		return
	}
	rows := len(dst) / h
	src = src[:rows*2*h]
	for r := range rows {
		glu(dst[r*h:(r+1)*h], src[2*r*h:(2*r+1)*h], src[(2*r+1)*h:(2*r+2)*h])
	}
}
