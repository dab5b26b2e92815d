package spikessm

// spikeGemmGeneric is the definition of Kernels.SpikeGemmBias: for every row r
// of x (R rows of K), y[r][m] = bias[m] + Σ_{k ascending: x[r][k] ≠ 0}
// wt[k][m], one float32 addition per spike and output (x holds spikes: any
// non-zero value counts as one, and its value is not used).
func spikeGemmGeneric(y, x, wt, bias []float32, R, K, M int) {
	if R <= 0 || M <= 0 {
		return
	}
	y, x, wt, bias = y[:R*M], x[:R*K], wt[:K*M], bias[:M]
	for r := range R {
		yr := y[r*M : r*M+M]
		copy(yr, bias)
		for k, v := range x[r*K : r*K+K] {
			if v != 0 {
				col := wt[k*M : k*M+M]
				for m := range yr {
					yr[m] += col[m]
				}
			}
		}
	}
}
