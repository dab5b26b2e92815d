package spikessm

// addGeneric is the definition of Kernels.Add: out[j] = a[j] + b[j] for
// j < len(out), four elements per iteration without bounds checks.
func addGeneric(out, a, b []float32) {
	n := len(out)
	a, b = a[:n], b[:n]
	j := 0
	for ; j+4 <= n; j += 4 {
		o, x, y := out[j:j+4:j+4], a[j:j+4:j+4], b[j:j+4:j+4]
		o[0] = x[0] + y[0]
		o[1] = x[1] + y[1]
		o[2] = x[2] + y[2]
		o[3] = x[3] + y[3]
	}
	for ; j < n; j++ {
		out[j] = a[j] + b[j]
	}
}
