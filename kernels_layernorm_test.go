package spikessm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// lnRef is LayerNorm of one row in float64.
func lnRef(x, g, b []float32, eps float64) []float64 {
	c := float64(len(x))
	var s float64
	for _, v := range x {
		s += float64(v)
	}
	mean := s / c
	var q float64
	for _, v := range x {
		q += (float64(v) - mean) * (float64(v) - mean)
	}
	inv := 1 / math.Sqrt(q/c+eps)
	out := make([]float64, len(x))
	for j, v := range x {
		out[j] = (float64(v)-mean)*inv*float64(g[j]) + float64(b[j])
	}
	return out
}

func lnInputs(rng *rand.Rand, rows, c int) (in, g, b []float32) {
	in, g, b = randSlice(rng, rows*c), randSlice(rng, c), randSlice(rng, c)
	for i := range in {
		in[i] = in[i]*3 + 0.5
	}
	return in, g, b
}

func TestLayerNorm(t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 52))
	gk := generic()
	var widths []int
	for c := 1; c <= 67; c++ {
		widths = append(widths, c)
	}
	widths = append(widths, 96, 128, 255, 1000)
	for _, k := range variants(t) {
		for _, c := range widths {
			for _, rows := range []int{0, 1, 2, 5, 17, 32, 47} {
				in, g, b := lnInputs(rng, rows, c)
				want := make([]float32, rows*c)
				gk.LayerNorm(want, in, g, b, c, 1e-5)
				out, check := guarded(rows*c, c%4)
				src := copyAt(in, 3-c%4)
				k.LayerNorm(out, src, copyAt(g, 1), copyAt(b, 2), c, 1e-5)
				check(t, "out")
				for i := range want {
					require.True(t, sameFloat(want[i], out[i]), "%s c=%d rows=%d i=%d: got %v want %v (must be bit-identical)", k.Name, c, rows, i, out[i], want[i])
				}
				for r := range rows {
					ref := lnRef(in[r*c:(r+1)*c], g, b, 1e-5)
					for j := range ref {
						sc := 1 + math.Abs(float64(g[j]))*4
						require.InDelta(t, ref[j], float64(want[r*c+j]), 2e-6*sc, "generic vs float64 c=%d r=%d j=%d", c, r, j)
					}
				}
				// Each row alone gives the same bits (position independence).
				for r := range rows {
					one := make([]float32, c)
					k.LayerNorm(one, in[r*c:(r+1)*c], g, b, c, 1e-5)
					for j := range one {
						require.True(t, sameFloat(want[r*c+j], one[j]), "%s c=%d row %d alone j=%d", k.Name, c, r, j)
					}
				}
				// In place.
				ip := append([]float32(nil), in...)
				k.LayerNorm(ip, ip, g, b, c, 1e-5)
				for i := range want {
					require.True(t, sameFloat(want[i], ip[i]), "%s c=%d rows=%d i=%d in place", k.Name, c, rows, i)
				}
			}
		}
	}
}

// TestLayerNormChunks crosses the assembly's per-call limit (lnChunk floats).
func TestLayerNormChunks(t *testing.T) {
	rng := rand.New(rand.NewPCG(53, 54))
	for _, c := range []int{1, 32, 40000} {
		rows := 70001/c + 1
		in, g, b := lnInputs(rng, rows, c)
		want := make([]float32, rows*c)
		generic().LayerNorm(want, in, g, b, c, 1e-5)
		for _, k := range variants(t) {
			got := make([]float32, rows*c)
			k.LayerNorm(got, in, g, b, c, 1e-5)
			for i := range got {
				require.True(t, sameFloat(want[i], got[i]), "%s c=%d i=%d", k.Name, c, i)
			}
		}
	}
}

func TestLayerNormSpecial(t *testing.T) {
	gk := generic()
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	for _, k := range variants(t) {
		for _, c := range []int{3, 16, 20, 32, 33} {
			cases := [][]float32{make([]float32, c), make([]float32, c), make([]float32, c), make([]float32, c)}
			for j := range c {
				cases[0][j] = 5 // constant row: zero variance, output beta
				cases[1][j] = float32(j)
				cases[2][j] = float32(j) * 1e30
				cases[3][j] = float32(j)
			}
			cases[1][c/2] = nan
			cases[2][c-1] = 3e38
			cases[3][0] = inf
			g, b := make([]float32, c), make([]float32, c)
			for j := range c {
				g[j], b[j] = 1+float32(j)/float32(c), float32(j)/8
			}
			for ci, x := range cases {
				want, got := make([]float32, c), make([]float32, c)
				gk.LayerNorm(want, x, g, b, c, 1e-5)
				k.LayerNorm(got, x, g, b, c, 1e-5)
				for j := range got {
					require.True(t, sameFloat(want[j], got[j]), "%s c=%d case %d j=%d: got %v want %v", k.Name, c, ci, j, got[j], want[j])
				}
				switch ci {
				case 0:
					require.Equal(t, b, got, "%s c=%d: constant row gives beta", k.Name, c)
				case 1, 3:
					for j := range got {
						require.True(t, math.IsNaN(float64(got[j])), "%s c=%d case %d j=%d: NaN/Inf row gives NaN", k.Name, c, ci, j)
					}
				}
			}
		}
	}
}

// TestLayerNormBlocks mixes special rows (all −0 with beta −0, constant,
// NaN, ±Inf, overflowing sums, subnormals) into blocks of 16 and more rows,
// which the AVX-512 kernel reduces together for c a multiple of 16: every
// row must keep generic's bits, alone or in any block.
func TestLayerNormBlocks(t *testing.T) {
	rng := rand.New(rand.NewPCG(55, 56))
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	negz := float32(math.Copysign(0, -1))
	gk := generic()
	for _, k := range variants(t) {
		for _, c := range []int{16, 32, 48, 64, 80, 128} {
			for _, rows := range []int{16, 17, 31, 32, 64, 65} {
				in, g, b := lnInputs(rng, rows, c)
				b[0], g[1] = negz, negz
				for r := range rows {
					x := in[r*c : (r+1)*c]
					switch rng.IntN(10) {
					case 0:
						for j := range x {
							x[j] = negz
						}
					case 1:
						for j := range x {
							x[j] = 2.5
						}
					case 2:
						x[rng.IntN(c)] = nan
					case 3:
						x[rng.IntN(c)] = inf
					case 4:
						x[rng.IntN(c)] = -inf
					case 5:
						for j := range x {
							x[j] = 3e38
						}
					case 6:
						for j := range x {
							x[j] = math.Float32frombits(uint32(rng.IntN(1 << 23)))
						}
					case 7:
						for j := range x {
							x[j] *= 1e20
						}
					}
				}
				want := make([]float32, rows*c)
				gk.LayerNorm(want, in, g, b, c, 1e-5)
				got, check := guarded(rows*c, 1)
				k.LayerNorm(got, in, g, b, c, 1e-5)
				check(t, "out")
				for i := range want {
					require.True(t, sameFloat(want[i], got[i]), "%s c=%d rows=%d row %d j=%d: got %v want %v", k.Name, c, rows, i/c, i%c, got[i], want[i])
				}
				for r := range rows {
					one := make([]float32, c)
					k.LayerNorm(one, in[r*c:(r+1)*c], g, b, c, 1e-5)
					for j := range one {
						require.True(t, sameFloat(want[r*c+j], one[j]), "%s c=%d row %d alone j=%d", k.Name, c, r, j)
					}
				}
			}
		}
	}
}

func FuzzLayerNorm(f *testing.F) {
	f.Add(uint8(32), []byte("layernorm seed: rows of arbitrary float bits, gamma and beta......"))
	f.Add(uint8(17), []byte{0, 0, 0x80, 0x7f, 0, 0, 0x80, 0xff, 0, 0, 0xc0, 0x7f, 0, 0, 0xc0, 0x40, 1, 0, 0xc0, 0xc0})
	f.Fuzz(func(t *testing.T, cb uint8, data []byte) {
		c := int(cb%80) + 1
		vals := fuzzFloats(data, 4096)
		if len(vals) < 2*c {
			return
		}
		g, b, in := vals[:c], vals[c:2*c], vals[2*c:]
		in = in[:len(in)/c*c]
		want := make([]float32, len(in))
		generic().LayerNorm(want, in, g, b, c, 1e-5)
		for _, k := range variants(t) {
			got := make([]float32, len(in))
			k.LayerNorm(got, in, g, b, c, 1e-5)
			for i := range got {
				require.True(t, sameFloat(want[i], got[i]), "%s c=%d i=%d: got %v want %v", k.Name, c, i, got[i], want[i])
			}
		}
	})
}

func BenchmarkLayerNorm(b *testing.B) {
	for _, k := range variants(b) {
		// c = 32: the reference models (one row in step mode, 64-row
		// chunks in sequence mode); c = 256: wider rows.
		for _, sh := range [][2]int{{32, 1}, {32, 64}, {32, 128}, {256, 16}} {
			c, rows := sh[0], sh[1]
			b.Run(fmt.Sprintf("impl=%s/c=%d/rows=%d", k.Name, c, rows), func(b *testing.B) {
				rng := rand.New(rand.NewPCG(9, 10))
				in, g, bb := lnInputs(rng, rows, c)
				out := make([]float32, rows*c)
				b.SetBytes(int64(rows * c * 8))
				for b.Loop() {
					k.LayerNorm(out, in, g, bb, c, 1e-5)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(rows), "ns/row")
			})
		}
	}
}
