package spikessm

// DivChannels sets out[r·c+j] = in[r·c+j] / d[j] for every row r of the row-major
// (rows, c) matrices in and out, rows = len(in)/c: a per-channel divisor (the
// ThresholdScale op). IEEE division is correctly rounded, so the SSE (amd64),
// NEON (arm64) and Go forms give the same bits; only the speed differs.
// It panics if c ≤ 0, len(d) < c, len(in) is not a multiple of c, or out is
// shorter than in.
func DivChannels(out, in, d []float32, c int) {
	if c <= 0 || len(d) < c || len(in)%c != 0 || len(out) < len(in) {
		panic("spikessm: DivChannels: bad shapes")
	}
	if len(in) == 0 {
		return
	}
	divChannelsImpl(&out[0], &in[0], &d[0], len(in)/c, c)
}

// divChannelsGo is the portable form of DivChannels (and its definition).
func divChannelsGo(out, in, d []float32, c int) {
	d = d[:c]
	out = out[:len(in)]
	for r := 0; r+c <= len(in); r += c {
		o, x := out[r:r+c], in[r:r+c]
		for j, v := range x {
			o[j] = v / d[j]
		}
	}
}
