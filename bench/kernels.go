package bench

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/klauspost/cpuid/v2"
	"github.com/spikessm/spikessm"
)

// defaultVariant is the variant spikessm.DefaultErr selects (honouring SPIKESSM_KERNELS),
// or "invalid: <error>" when the override is invalid.
func defaultVariant() string {
	k, err := spikessm.DefaultErr()
	if err != nil {
		return "invalid: " + err.Error()
	}
	return string(k.Name)
}

// PeakModel is the analytic compute roofline of the complex diagonal scan for one kernel
// variant: each state-step costs about 8 FMA-pipe µops (2 MUL + 4 FMA for the update, 2 FMA
// for the readout), so R_max = clock × Lanes × FMAPipes / 8 state-steps/s per core.
type PeakModel struct {
	Lanes    int    // f32 SIMD lanes per vector (16 AVX-512, 8 AVX2, 4 NEON, 1 scalar Go)
	FMAPipes int    // vector FMA pipes per core assumed for this CPU
	Basis    string // why FMAPipes has that value
}

// PeakFor returns the peak model for variant v on the running CPU.
func PeakFor(v spikessm.Variant) PeakModel {
	switch v {
	case spikessm.VariantAVX512:
		if cpuid.CPU.VendorID == cpuid.AMD && cpuid.CPU.Family == 0x19 {
			return PeakModel{16, 1, "Zen 4: 512-bit ops double-pumped on 256-bit pipes"}
		}
		return PeakModel{16, 2, "assumed 2×512-bit FMA pipes (Intel server, Zen 5)"}
	case spikessm.VariantAVX2:
		return PeakModel{8, 2, "2×256-bit FMA pipes (Haswell and later, Zen)"}
	case spikessm.VariantNEON:
		if cpuid.CPU.VendorID == cpuid.Apple {
			return PeakModel{4, 4, "Apple P-core: 4×128-bit FMA pipes"}
		}
		return PeakModel{4, 2, "assumed 2×128-bit FMA pipes (Neoverse N1 class; V1/V2 have 4)"}
	default:
		return PeakModel{1, 2, "scalar Go: 1 lane, 2 scalar FMA pipes"}
	}
}

// RMax returns the peak in state-steps per second at clock ghz.
func (p PeakModel) RMax(ghz float64) float64 {
	return ghz * 1e9 * float64(p.Lanes) * float64(p.FMAPipes) / 8
}

// kernelSizes are the sweep sizes; quick shrinks them for smoke tests.
type kernelSizes struct {
	scanN, scanT   []int // per-block scan: modes, steps
	stepH, stepN   int   // streaming scan: T = 1 over stepH/Lanes blocks
	neuronT        []int // neuron steps
	gemmR          []int // rows (time steps) of the dense product
	gemmK, gemmM   int   // dense / spike product sizes
	rates          []float64
	gluN           []int
	spikeRateScanT int
}

func sizesFor(quick bool) kernelSizes {
	if quick {
		return kernelSizes{
			scanN: []int{4}, scanT: []int{16},
			stepH: 32, stepN: 4,
			neuronT: []int{16},
			gemmR:   []int{4}, gemmK: 64, gemmM: 32,
			rates: []float64{0.1},
			gluN:  []int{64},
		}
	}
	return kernelSizes{
		scanN: []int{16, 64}, scanT: []int{256, 1024},
		stepH: 256, stepN: 64,
		neuronT: []int{1024},
		gemmR:   []int{1, 64}, gemmK: 1024, gemmM: 256,
		rates: []float64{0.01, 0.05, 0.15, 0.3},
		gluN:  []int{1 << 14},
	}
}

func randSlice(r *rand.Rand, n int, lo, hi float32) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = lo + (hi-lo)*r.Float32()
	}
	return s
}

// scanBlocks builds H/Lanes blocks of stable S4D parameters (|a| < 1) with N modes.
func scanBlocks(H, N int) []spikessm.ScanParams {
	r := rand.New(rand.NewPCG(1, uint64(H*1000+N)))
	aRe := make([]float32, H*N)
	aIm := make([]float32, H*N)
	for i := range aRe {
		mag := 0.9 + 0.099*r.Float64()
		ph := math.Pi * r.Float64()
		aRe[i] = float32(mag * math.Cos(ph))
		aIm[i] = float32(mag * math.Sin(ph))
	}
	return spikessm.PackScan(aRe, aIm, randSlice(r, H*N, -1, 1), randSlice(r, H*N, -1, 1),
		randSlice(r, H*N, -1, 1), randSlice(r, H*N, -1, 1), randSlice(r, H, -1, 1), H, N)
}

// kernelCases enumerates every kernel × every variant this CPU runs × sizes.
func kernelCases(cfg Config, clockGHz float64) []benchCase {
	sz := sizesFor(cfg.Quick)
	var out []benchCase
	for _, v := range spikessm.Variants() {
		k, err := spikessm.Select(v)
		if err != nil {
			continue // Variants lists only runnable variants; be defensive anyway
		}
		out = append(out, kernelCasesFor(k, sz, clockGHz, cfg.MinSampleTime)...)
	}
	return out
}

func name(parts ...string) string { return strings.Join(parts, "/") }

func kernelCasesFor(k *spikessm.Kernels, sz kernelSizes, clockGHz float64, minSample time.Duration) []benchCase {
	v := string(k.Name)
	L := spikessm.Lanes
	peak := PeakFor(k.Name)
	rmax := peak.RMax(clockGHz)
	var out []benchCase

	scanMetrics := func(stateSteps float64) func(float64) map[string]float64 {
		return func(ns float64) map[string]float64 {
			g := stateSteps / ns // state-steps per ns = G state-steps/s
			m := map[string]float64{"Gstate-steps/s": g, "peak_Gstate-steps/s": rmax / 1e9}
			if rmax > 0 {
				m["frac_peak"] = g * 1e9 / rmax
			}
			return m
		}
	}
	for _, N := range sz.scanN {
		for _, T := range sz.scanT {
			N, T := N, T
			out = append(out, benchCase{
				Case: Case{Name: name("kernel=scan", "variant="+v, fmt.Sprintf("N=%d", N), fmt.Sprintf("T=%d", T)),
					Kernel: "scan", Variant: v, Params: map[string]any{"N": N, "T": T, "lanes": L}},
				prepare: func() (func() error, func(), error) {
					p := scanBlocks(L, N)[0]
					r := rand.New(rand.NewPCG(2, 2))
					u := randSlice(r, T*L, -1, 1)
					y := make([]float32, T*L)
					xr, xi := make([]float32, N*L), make([]float32, N*L)
					return func() error {
						clear(xr)
						clear(xi)
						k.Scan(&p, u, y, xr, xi, T)
						return nil
					}, nil, nil
				},
				metrics: scanMetrics(float64(N * L * T)),
			})
			out = append(out, benchCase{
				Case: Case{Name: name("kernel=scan_spikes", "variant="+v, fmt.Sprintf("N=%d", N), fmt.Sprintf("T=%d", T), "rate=0.15"),
					Kernel: "scan_spikes", Variant: v, Params: map[string]any{"N": N, "T": T, "lanes": L, "rate": 0.15}},
				prepare: func() (func() error, func(), error) {
					p := scanBlocks(L, N)[0]
					r := rand.New(rand.NewPCG(3, 3))
					mask := make([]uint16, T)
					for t := range mask {
						for i := 0; i < L; i++ {
							if r.Float64() < 0.15 {
								mask[t] |= 1 << i
							}
						}
					}
					y := make([]float32, T*L)
					xr, xi := make([]float32, N*L), make([]float32, N*L)
					return func() error {
						clear(xr)
						clear(xi)
						k.ScanSpikes(&p, mask, y, xr, xi, T)
						return nil
					}, nil, nil
				},
				metrics: scanMetrics(float64(N * L * T)),
			})
		}
	}

	// Streaming: one step (T = 1) over all blocks of an H-channel layer; every state-step
	// reads a, b, c (24 B) and reads and writes the state (16 B): 40 B per state-step.
	{
		H, N := sz.stepH, sz.stepN
		states := float64(H * N)
		out = append(out, benchCase{
			Case: Case{Name: name("kernel=scan_step", "variant="+v, fmt.Sprintf("H=%d", H), fmt.Sprintf("N=%d", N)),
				Kernel: "scan", Variant: v, Params: map[string]any{"H": H, "N": N, "T": 1, "bytes_per_state_step": 40}},
			prepare: func() (func() error, func(), error) {
				ps := scanBlocks(H, N)
				nb := len(ps)
				r := rand.New(rand.NewPCG(4, 4))
				u := randSlice(r, nb*L, -1, 1)
				y := make([]float32, nb*L)
				xr, xi := make([]float32, nb*N*L), make([]float32, nb*N*L)
				return func() error {
					for b := 0; b < nb; b++ {
						k.Scan(&ps[b], u[b*L:(b+1)*L], y[b*L:(b+1)*L], xr[b*N*L:(b+1)*N*L], xi[b*N*L:(b+1)*N*L], 1)
					}
					return nil
				}, nil, nil
			},
			metrics: func(ns float64) map[string]float64 {
				m := scanMetrics(states)(ns)
				m["GB/s"] = 40 * states / ns
				return m
			},
		})
	}

	for _, T := range sz.neuronT {
		T := T
		var passes int
		out = append(out, benchCase{
			Case: Case{Name: name("kernel=neuron", "variant="+v, fmt.Sprintf("T=%d", T)),
				Kernel: "neuron", Variant: v, Params: map[string]any{"T": T, "lanes": L, "reset": "soft"}},
			prepare: func() (func() error, func(), error) {
				var p spikessm.NeuronParams
				for i := 0; i < L; i++ {
					p.Tau[i], p.Theta[i], p.Rho[i], p.Beta[i] = 0.9, 1, 0.1, 0.5
				}
				p.Reset = spikessm.ResetSoft
				r := rand.New(rand.NewPCG(5, 5))
				x := randSlice(r, T*L, -0.5, 1)
				s := make([]float32, T*L)
				mask := make([]uint16, T)
				var st spikessm.NeuronState
				return func() error {
					st = spikessm.NeuronState{}
					k.Neuron(&p, x, s, mask, &st, T)
					return nil
				}, nil, nil
			},
			metrics: func(ns float64) map[string]float64 {
				return map[string]float64{"Gneuron-steps/s": float64(T*L) / ns}
			},
		})
		out = append(out, benchCase{
			Case: Case{Name: name("kernel=pmbc", "variant="+v, fmt.Sprintf("T=%d", T)),
				Kernel: "pmbc", Variant: v, Params: map[string]any{"T": T, "lanes": L, "reset": "soft"}},
			prepare: func() (func() error, func(), error) {
				var p spikessm.NeuronParams
				for i := 0; i < L; i++ {
					p.Tau[i], p.Theta[i], p.Rho[i], p.Beta[i] = 0.9, 1, 0, 0
				}
				p.Reset = spikessm.ResetSoft
				r := rand.New(rand.NewPCG(6, 6))
				x := randSlice(r, T*L, -0.5, 1)
				s := make([]float32, T*L)
				return func() error {
					n, err := spikessm.PMBC(k, &p, x, s, T)
					passes = n
					return err
				}, nil, nil
			},
			metrics: func(ns float64) map[string]float64 {
				return map[string]float64{"Gneuron-steps/s": float64(T*L) / ns, "passes": float64(passes)}
			},
		})
	}

	K, M := sz.gemmK, sz.gemmM
	for _, R := range sz.gemmR {
		R := R
		out = append(out, benchCase{
			Case: Case{Name: name("kernel=gemm", "variant="+v, fmt.Sprintf("R=%d", R), fmt.Sprintf("K=%d", K), fmt.Sprintf("M=%d", M)),
				Kernel: "gemm", Variant: v, Params: map[string]any{"R": R, "K": K, "M": M}},
			prepare: func() (func() error, func(), error) {
				r := rand.New(rand.NewPCG(7, 7))
				x := randSlice(r, R*K, -1, 1)
				wt := randSlice(r, K*M, -1, 1)
				y := make([]float32, R*M)
				return func() error { k.Gemm(y, x, wt, R, K, M); return nil }, nil, nil
			},
			metrics: func(ns float64) map[string]float64 {
				return map[string]float64{
					"GFLOP/s": 2 * float64(R*K*M) / ns,
					"GB/s":    4 * float64(K*M+R*K+2*R*M) / ns,
				}
			},
		})
	}

	// Spike accumulation at several firing rates, against the dense product of the same
	// 0/1 vector (Gemm with R = 1), timed in the same prepare step.
	for _, rate := range sz.rates {
		rate := rate
		var denseNs float64
		var active int
		out = append(out, benchCase{
			Case: Case{Name: name("kernel=spike_accum", "variant="+v, fmt.Sprintf("K=%d", K), fmt.Sprintf("M=%d", M), fmt.Sprintf("rate=%g", rate)),
				Kernel: "spike_accum", Variant: v, Params: map[string]any{"K": K, "M": M, "rate": rate}},
			prepare: func() (func() error, func(), error) {
				r := rand.New(rand.NewPCG(8, uint64(rate*1e6)))
				wt := randSlice(r, K*M, -1, 1)
				s := make([]float32, K)
				active = 0
				for j := range s {
					if r.Float64() < rate {
						s[j] = 1
						active++
					}
				}
				mask := make([]uint64, (K+63)/64)
				spikessm.PackSpikes(mask, s)
				y := make([]float32, M)
				denseNs = timeOp(func() { k.Gemm(y, s, wt, 1, K, M) }, minSample)
				return func() error { k.SpikeAccum(y, wt, mask, K, M); return nil }, nil, nil
			},
			metrics: func(ns float64) map[string]float64 {
				bytes := 4*float64(active*M) + float64(K)/8 + 8*float64(M)
				m := map[string]float64{"GB/s": bytes / ns, "dense_ns": denseNs, "observed_rate": float64(active) / float64(K)}
				if ns > 0 && denseNs > 0 {
					m["speedup_vs_dense"] = denseNs / ns
				}
				return m
			},
		})
	}

	for _, n := range sz.gluN {
		n := n
		out = append(out, benchCase{
			Case: Case{Name: name("kernel=glu", "variant="+v, fmt.Sprintf("n=%d", n)),
				Kernel: "glu", Variant: v, Params: map[string]any{"n": n}},
			prepare: func() (func() error, func(), error) {
				r := rand.New(rand.NewPCG(9, 9))
				a, b := randSlice(r, n, -3, 3), randSlice(r, n, -3, 3)
				dst := make([]float32, n)
				return func() error { k.GLU(dst, a, b); return nil }, nil, nil
			},
			metrics: func(ns float64) map[string]float64 {
				return map[string]float64{"GB/s": 12 * float64(n) / ns, "Gelem/s": float64(n) / ns}
			},
		})
	}
	return out
}

// timeOp returns the median ns per call of f over 5 samples of about minSample/5 each.
func timeOp(f func(), minSample time.Duration) float64 {
	per := max(minSample/5, time.Millisecond)
	iters := 1
	for {
		t0 := time.Now()
		for i := 0; i < iters; i++ {
			f()
		}
		el := time.Since(t0)
		if el >= per/10 || iters >= 1<<30 {
			if el > 0 {
				iters = max(1, int(float64(iters)*float64(per)/float64(el)))
			}
			break
		}
		iters *= 2
	}
	s := make([]float64, 5)
	for r := range s {
		t0 := time.Now()
		for i := 0; i < iters; i++ {
			f()
		}
		s[r] = float64(time.Since(t0).Nanoseconds()) / float64(iters)
	}
	return median(s)
}
