package spikessm

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"sort"
	"sync"
	"testing"
	"time"
)

var (
	clockOnce sync.Once
	clockVal  float64
)

// benchClock is the core clock estimated once from a dependent-add loop
// (8 one-cycle ADDQ per iteration); 0 where not measured.
func benchClock() float64 {
	clockOnce.Do(func() { clockVal = clockHz() })
	return clockVal
}

// peakRate is R_max = clock × lanes × FMA pipes / 8 state-steps/s for a
// variant (research note go-simd.md §6.3); 0 if unknown.
func peakRate(v Variant) float64 {
	f := benchClock()
	switch v {
	case VariantAVX512:
		return f * 16 * 2 / 8
	case VariantAVX2:
		return f * 8 * 2 / 8
	}
	return 0
}

func BenchmarkClock(b *testing.B) {
	f := benchClock()
	if f == 0 {
		b.Skip("clock calibration needs amd64 assembly")
	}
	for b.Loop() {
	}
	b.ReportMetric(f/1e9, "GHz")
}

func BenchmarkScan(b *testing.B) {
	for _, k := range variants(b) {
		for _, H := range []int{256, 1024} {
			for _, N := range []int{16, 64} {
				for _, unit := range []bool{false, true} {
					T := 256
					name := fmt.Sprintf("impl=%s/H=%d/N=%d/T=%d/unitB=%v", k.Name, H, N, T, unit)
					b.Run(name, func(b *testing.B) {
						if k.Name == VariantGeneric && H*N > 256*16 && testing.Short() {
							b.Skip("generic at this size is slow")
						}
						benchScan(b, k, H, N, T, false, unit)
					})
				}
			}
		}
	}
}

func BenchmarkScanSpikes(b *testing.B) {
	for _, k := range variants(b) {
		H, N, T := 256, 64, 256
		b.Run(fmt.Sprintf("impl=%s/H=%d/N=%d/T=%d", k.Name, H, N, T), func(b *testing.B) {
			benchScan(b, k, H, N, T, true, false)
		})
	}
}

// benchScan times Scan (or ScanSpikes) over H/Lanes blocks; unitB: b = 1 + 0i
// (the unit-b kernels).
func benchScan(b *testing.B, k *Kernels, H, N, T int, spikes, unitB bool) {
	rng := rand.New(rand.NewPCG(1, 2))
	nb := H / Lanes
	ps := make([]*ScanParams, nb)
	us := make([][]float32, nb)
	ms := make([][]uint16, nb)
	ys := make([][]float32, nb)
	xr, xi := make([][]float32, nb), make([][]float32, nb)
	for i := range nb {
		ps[i] = randScan(rng, N, 0.99)
		if unitB {
			setUnitB(ps[i])
		}
		us[i] = randSlice(rng, T*Lanes)
		ms[i] = make([]uint16, T)
		for t := range ms[i] {
			ms[i][t] = uint16(rng.Uint32() & rng.Uint32() & rng.Uint32())
		}
		ys[i] = make([]float32, T*Lanes)
		xr[i], xi[i] = make([]float32, N*Lanes), make([]float32, N*Lanes)
	}
	b.SetBytes(int64(H * T * 8))
	best := time.Duration(1 << 62)
	for b.Loop() {
		t0 := time.Now()
		for i := range nb {
			if spikes {
				k.ScanSpikes(ps[i], ms[i], ys[i], xr[i], xi[i], T)
			} else {
				k.Scan(ps[i], us[i], ys[i], xr[i], xi[i], T)
			}
		}
		best = min(best, time.Since(t0))
	}
	// Mean rate over all iterations, and the rate of the fastest iteration
	// (on a shared, loaded machine the fastest one is the least disturbed).
	rate := float64(H*N*T) * float64(b.N) / b.Elapsed().Seconds()
	bestRate := float64(H*N*T) / best.Seconds()
	b.ReportMetric(rate/1e9, "Gstatestep/s")
	b.ReportMetric(bestRate/1e9, "best_Gstatestep/s")
	if pk := peakRate(k.Name); pk > 0 {
		b.ReportMetric(100*rate/pk, "%peak")
		b.ReportMetric(100*bestRate/pk, "best_%peak")
	}
}

func BenchmarkNeuron(b *testing.B) {
	for _, k := range variants(b) {
		for _, H := range []int{16, 256} {
			T := 1024
			b.Run(fmt.Sprintf("impl=%s/H=%d/T=%d", k.Name, H, T), func(b *testing.B) {
				rng := rand.New(rand.NewPCG(3, 4))
				nb := H / Lanes
				p := pmbcParams(rng, false)
				xs := make([][]float32, nb)
				for i := range xs {
					xs[i] = neuronDrive(rng, p, T)
				}
				mask := make([]uint16, T)
				b.SetBytes(int64(H * T * 4))
				best := time.Duration(1 << 62)
				for b.Loop() {
					t0 := time.Now()
					for i := range nb {
						var st NeuronState
						k.Neuron(p, xs[i], nil, mask, &st, T)
					}
					best = min(best, time.Since(t0))
				}
				b.ReportMetric(float64(H*T)*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gneuronstep/s")
				b.ReportMetric(float64(H*T)/best.Seconds()/1e9, "best_Gneuronstep/s")
			})
		}
	}
}

// BenchmarkNeuronBlocks runs all H/16 blocks through NeuronBlocks (AVX-512
// interleaves four blocks); compare with BenchmarkNeuron.
func BenchmarkNeuronBlocks(b *testing.B) {
	for _, k := range variants(b) {
		H, T := 256, 1024
		b.Run(fmt.Sprintf("impl=%s/H=%d/T=%d", k.Name, H, T), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(3, 4))
			nb := H / Lanes
			ps := make([]NeuronParams, nb)
			x := make([]float32, 0, nb*T*Lanes)
			for i := range ps {
				ps[i] = *pmbcParams(rng, false)
				x = append(x, neuronDrive(rng, &ps[i], T)...)
			}
			mask := make([]uint16, nb*T)
			st := make([]NeuronState, nb)
			b.SetBytes(int64(H * T * 4))
			best := time.Duration(1 << 62)
			for b.Loop() {
				t0 := time.Now()
				clear(st)
				k.NeuronBlocks(ps, x, nil, mask, st, T)
				best = min(best, time.Since(t0))
			}
			b.ReportMetric(float64(H*T)*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gneuronstep/s")
			b.ReportMetric(float64(H*T)/best.Seconds()/1e9, "best_Gneuronstep/s")
		})
	}
}

// timeIt returns the median and the minimum wall time of f over n runs.
func timeIt(n int, f func()) (median, fastest time.Duration) {
	ds := make([]time.Duration, n)
	for i := range ds {
		t0 := time.Now()
		f()
		ds[i] = time.Since(t0)
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[n/2], ds[0]
}

// BenchmarkSpikeAccum compares the spike-sparse accumulation with the dense
// matrix×vector product (Gemm with R = 1) on the same weights; x_dense is the
// speed-up over dense, target_x = 0.8/ρ the target for ρ ≤ 10%.
func BenchmarkSpikeAccum(b *testing.B) {
	M, K := 1024, 4096
	rng := rand.New(rand.NewPCG(5, 6))
	wt := randSlice(rng, K*M)
	xd := randSlice(rng, K)
	for _, k := range variants(b) {
		for _, rate := range []float64{0.01, 0.05, 0.10, 0.25, 1.0} {
			b.Run(fmt.Sprintf("impl=%s/rate=%g/M=%d/K=%d", k.Name, rate, M, K), func(b *testing.B) {
				mask := make([]uint64, K/64)
				for j := range K {
					if rng.Float64() < rate {
						mask[j/64] |= 1 << (j % 64)
					}
				}
				active := 0
				for _, w := range mask {
					active += bits.OnesCount64(w)
				}
				y := make([]float32, M)
				dense, denseBest := timeIt(9, func() { k.Gemm(y, xd, wt, 1, K, M) })
				b.SetBytes(int64(active * M * 4))
				best := time.Duration(1 << 62)
				for b.Loop() {
					t0 := time.Now()
					k.SpikeAccum(y, wt, mask, K, M)
					best = min(best, time.Since(t0))
				}
				per := b.Elapsed().Seconds() / float64(b.N)
				b.ReportMetric(dense.Seconds()/per, "x_dense")
				b.ReportMetric(denseBest.Seconds()/best.Seconds(), "best_x_dense")
				b.ReportMetric(0.8/rate, "target_x")
				b.ReportMetric(float64(dense.Microseconds()), "dense_us")
			})
		}
	}
}

func BenchmarkGemm(b *testing.B) {
	for _, k := range variants(b) {
		for _, R := range []int{1, 8, 64} {
			K, M := 512, 512
			b.Run(fmt.Sprintf("impl=%s/R=%d/K=%d/M=%d", k.Name, R, K, M), func(b *testing.B) {
				rng := rand.New(rand.NewPCG(7, 8))
				x, wt, y := randSlice(rng, R*K), randSlice(rng, K*M), make([]float32, R*M)
				best := time.Duration(1 << 62)
				for b.Loop() {
					t0 := time.Now()
					k.Gemm(y, x, wt, R, K, M)
					best = min(best, time.Since(t0))
				}
				b.ReportMetric(2*float64(R*K*M)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				b.ReportMetric(2*float64(R*K*M)/best.Seconds()/1e9, "best_GFLOP/s")
			})
		}
	}
}

// BenchmarkGemmModel: the Linear shapes of the small reference models (a 64-row chunk:
// the GLU projection H=32 → 2H, the encoder 1 → 32, the 10-class decoder padded to 16),
// bias-seeded as the runtime runs them.
func BenchmarkGemmModel(b *testing.B) {
	for _, k := range variants(b) {
		for _, sh := range [][3]int{{64, 32, 64}, {64, 256, 64}, {64, 1, 32}, {16, 32, 16}} {
			R, K, M := sh[0], sh[1], sh[2]
			b.Run(fmt.Sprintf("impl=%s/R=%d/K=%d/M=%d", k.Name, R, K, M), func(b *testing.B) {
				rng := rand.New(rand.NewPCG(7, 8))
				x, wt, bias, y := randSlice(rng, R*K), randSlice(rng, K*M), randSlice(rng, M), make([]float32, R*M)
				for b.Loop() {
					k.GemmBias(y, x, wt, bias, R, K, M)
				}
				b.ReportMetric(2*float64(R*K*M)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/call")
			})
		}
	}
}

func BenchmarkGLU(b *testing.B) {
	for _, k := range variants(b) {
		n := 4096
		b.Run(fmt.Sprintf("impl=%s/n=%d", k.Name, n), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(9, 10))
			a, bb, d := randSlice(rng, n), randSlice(rng, n), make([]float32, n)
			b.SetBytes(int64(n * 12))
			for b.Loop() {
				k.GLU(d, a, bb)
			}
		})
	}
}

// Benchmarks report the mean rate and, as best_*, the rate of the fastest
// iteration: on a shared, loaded machine the fastest iteration is the least
// disturbed one.

// BenchmarkPMBC compares the sequential neuron with PMBC (single goroutine
// and one goroutine per core) for soft-reset neurons with a SPikE-SSM-like
// drive, over H channels (H/16 blocks; H = 1 uses one block with one live
// lane). passes is the mean PMBC pass count per block.
func BenchmarkPMBC(b *testing.B) {
	k := Default()
	for _, H := range []int{1, 16, 256} {
		for _, T := range []int{1024, 16384} {
			nb := max(1, H/Lanes)
			rng := rand.New(rand.NewPCG(11, 12))
			p := &NeuronParams{Reset: ResetSoft}
			for l := range Lanes {
				p.Tau[l] = 0.5 + 0.45*rng.Float32()
				p.Theta[l] = 1
				p.Rho[l] = 0.5 * rng.Float32()
				p.Beta[l] = 0.8 * rng.Float32()
			}
			xs := make([][]float32, nb)
			for i := range xs {
				xs[i] = make([]float32, T*Lanes)
				for j := range xs[i] {
					if H == 1 && j%Lanes != 0 {
						continue
					}
					xs[i][j] = float32(rng.NormFloat64()*0.5 + 0.2)
				}
			}
			s := make([]float32, T*Lanes)
			for _, solver := range []string{"sequential", "pmbc", "pmbc-par"} {
				b.Run(fmt.Sprintf("solver=%s/impl=%s/H=%d/T=%d", solver, k.Name, H, T), func(b *testing.B) {
					passes := 0
					best := time.Duration(1 << 62)
					for b.Loop() {
						t0 := time.Now()
						passes = 0
						for i := range nb {
							switch solver {
							case "sequential":
								var st NeuronState
								k.Neuron(p, xs[i], s, nil, &st, T)
							case "pmbc":
								n, err := PMBCWith(k, p, xs[i], s, T, PMBCOptions{Workers: 1})
								if err != nil {
									b.Fatal(err)
								}
								passes += n
							default:
								n, err := PMBCWith(k, p, xs[i], s, T, PMBCOptions{Workers: runtime.GOMAXPROCS(0)})
								if err != nil {
									b.Fatal(err)
								}
								passes += n
							}
						}
						best = min(best, time.Since(t0))
					}
					b.ReportMetric(float64(H*T)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mneuronstep/s")
					b.ReportMetric(float64(H*T)/best.Seconds()/1e6, "best_Mneuronstep/s")
					b.ReportMetric(float64(best.Microseconds()), "best_us")
					if solver != "sequential" {
						b.ReportMetric(float64(passes)/float64(nb), "passes")
					}
				})
			}
		}
	}
}

// BenchmarkScanModel: the S4D shape of the small reference models (H = 32, N = 8 complex
// modes, T = 64, unit b as converted models have it), per block call as the runtime makes it.
func BenchmarkScanModel(b *testing.B) {
	for _, k := range variants(b) {
		b.Run(fmt.Sprintf("impl=%s/H=32/N=8/T=64", k.Name), func(b *testing.B) {
			benchScan(b, k, 32, 8, 64, false, true)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/call")
		})
	}
}
