package spikessm

// SumRows adds every row of x, a row-major (rows, c) matrix with
// rows = len(x)/c, into sum (len ≥ c) in row order: for r = 0, 1, …:
// sum[j] += x[r·c+j], one float32 addition per element. The order is fixed,
// so a running sum kept across calls (MeanPool's streaming state) gives the
// same bits as one call over the whole sequence, on every architecture.
// It panics if c ≤ 0, len(sum) < c or len(x) is not a multiple of c.
func SumRows(sum, x []float32, c int) {
	if c <= 0 || len(sum) < c || len(x)%c != 0 {
		panic("spikessm: SumRows: bad shapes")
	}
	if len(x) == 0 {
		return
	}
	sumRowsImpl(&sum[0], &x[0], len(x)/c, c)
}

// sumRowsGo is the portable form of SumRows (and its definition).
func sumRowsGo(sum, x []float32, c int) {
	sum = sum[:c]
	for r := 0; r+c <= len(x); r += c {
		for j, v := range x[r : r+c] {
			sum[j] += v
		}
	}
}
