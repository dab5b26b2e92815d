package spikessm

import (
	"fmt"
	"os"
	"strings"
	"sync"
)

// Lanes is the number of channels per block in every tiled layout, for every
// instruction set (AVX2 uses two 8-wide registers per block, AVX-512 one,
// NEON four).
const Lanes = 16

// Variant names one implementation of the kernel table.
type Variant string

// The kernel variants. VariantGeneric is pure Go and always available.
const (
	VariantGeneric Variant = "generic"
	VariantAVX2    Variant = "avx2"
	VariantAVX512  Variant = "avx512"
	VariantNEON    Variant = "neon"
)

// EnvKernels is the environment variable that forces a kernel variant
// (generic, avx2, avx512 or neon) for Default and DefaultErr.
const EnvKernels = "SPIKESSM_KERNELS"

// ScanParams holds the discrete S4D parameters of one block of Lanes channels.
// ARe..CIm are [N][Lanes] (mode-major, lane-minor); D is [Lanes]. Padding lanes
// (channels beyond H in the last block) hold zeros.
type ScanParams struct {
	N                               int
	ARe, AIm, BRe, BIm, CRe, CIm, D []float32

	// unitB is set by PackScan when b is exactly 1 + 0i in every lane and mode
	// (converters fold b into c): variants may then skip the b·u products.
	// Parameters built or changed by hand leave it false, which is always valid.
	unitB bool
}

// ResetMode selects how a spiking neuron's membrane is reset after a spike.
type ResetMode uint8

// Reset modes of the SpikingNeuron op (format/OPS.md).
const (
	// ResetSoft subtracts θ·s[t−1] from the membrane.
	ResetSoft ResetMode = iota
	// ResetHard multiplies the leaked membrane by (1 − s[t−1]).
	ResetHard
	// ResetNone never resets (the refractory term may still act).
	ResetNone
)

// String returns "soft", "hard" or "none".
func (r ResetMode) String() string {
	switch r {
	case ResetSoft:
		return "soft"
	case ResetHard:
		return "hard"
	case ResetNone:
		return "none"
	}
	return fmt.Sprintf("ResetMode(%d)", uint8(r))
}

// NeuronParams holds the per-lane parameters of one block of SpikingNeuron
// channels: leak Tau, threshold Theta, refractory weight Rho and refractory
// decay Beta. Strict selects the comparison m > θ instead of m ≥ θ.
type NeuronParams struct {
	Tau, Theta, Rho, Beta [Lanes]float32
	Reset                 ResetMode
	Strict                bool
}

// NeuronState is the state of one block of neurons between steps: membrane M
// (before reset), previous spike S (0 or 1) and refractory trace R. The zero
// value is the state before t = 0.
type NeuronState struct {
	M, S, R [Lanes]float32
}

// Kernels is one table of kernel implementations. All fields are non-nil.
// Slices must be at least as long as the documented extents; kernels panic
// (index out of range) on short slices rather than read out of bounds.
type Kernels struct {
	// Name is the variant of this table.
	Name Variant

	// Scan runs the S4D recurrence for one block over T steps. u, y are
	// [T][Lanes]; xRe, xIm are [N][Lanes] state, read and updated in place.
	//   x_n[t] = a_n·x_n[t−1] + b_n·u[t],  y[t] = 2·Re(Σ_n c_n·x_n[t]) + d·u[t].
	// y is overwritten. See scanGeneric for the exact float32 evaluation order;
	// assembly variants may reassociate the Σ_n (ScanTolerance).
	Scan func(p *ScanParams, u, y, xRe, xIm []float32, T int)

	// ScanStrided is Scan on a block inside a wider layout: step t of u and y
	// is u[t·stride : t·stride+Lanes] (stride ≥ Lanes, in floats), so a block
	// of a (T, H) row-major tensor is scanned in place (u = x[blk·Lanes:],
	// stride = H) without copying it into a tile. Other elements of y are not
	// touched. Each variant gives exactly the bits of its Scan on the tiled
	// copy; Scan is ScanStrided with stride = Lanes.
	ScanStrided func(p *ScanParams, u, y []float32, stride int, xRe, xIm []float32, T int)

	// ScanSpikes is Scan with u given as one lane mask per step (bit i of
	// mask[t] set means u[t][i] = 1, else 0). Results equal Scan on the 0/1
	// floats within ScanTolerance.
	ScanSpikes func(p *ScanParams, mask []uint16, y, xRe, xIm []float32, T int)

	// Neuron runs the SpikingNeuron op (OPS.md) sequentially for one block.
	// x is the [T][Lanes] drive; s ([T][Lanes] 0/1 floats) and mask ([T] lane
	// masks) are outputs and may be nil; st is read and updated. Every variant
	// computes the same float32 operations in the same order (no FMA), so
	// spikes and state are bit-identical across variants. The stored state is
	// flushed after every step (NeuronFlush: |m|, |r| < 2^-63 become +0), so
	// decaying traces never reach the slow subnormal range.
	Neuron func(p *NeuronParams, x, s []float32, mask []uint16, st *NeuronState, T int)

	// NeuronBlocks runs Neuron on nb = len(p) consecutive blocks: x is
	// [nb][T][Lanes], s nil or [nb][T][Lanes], mask nil or [nb][T], st has
	// at least nb entries; block b uses p[b] and st[b]. Results are exactly
	// those of Neuron per block; variants may interleave blocks to hide the
	// latency of the per-step dependency chain (AVX-512 runs four at once).
	NeuronBlocks func(p []NeuronParams, x, s []float32, mask []uint16, st []NeuronState, T int)

	// Gemm computes y[r][m] += Σ_k x[r][k]·wt[k][m] for y [R][M], x [R][K] and
	// the transposed weight wt [K][M]. Assembly variants use FMA and may
	// reassociate (GemmTolerance).
	Gemm func(y, x, wt []float32, R, K, M int)

	// GemmBias is Gemm starting from bias instead of y: y[r][m] = bias[m] +
	// Σ_k x[r][k]·wt[k][m] (y is only written), with exactly the operations
	// of filling every row of y with bias and running Gemm. bias has M floats.
	GemmBias func(y, x, wt, bias []float32, R, K, M int)

	// SpikeAccum computes y[m] += Σ_{j<K: bit j of mask set} wt[j][m] with
	// additions only, j ascending. mask holds K bits, LSB-first (bit j is
	// mask[j/64]>>(j%64)&1). Every variant adds in the same order, so results
	// are bit-identical across variants.
	SpikeAccum func(y, wt []float32, mask []uint64, K, M int)

	// SpikeGemmBias is the spike-sparse form of GemmBias for R rows of spikes
	// x [R][K] (any non-zero value counts as one): y[r][m] = bias[m] +
	// Σ_{k ascending: x[r][k] ≠ 0} wt[k][m], additions only. It equals
	// GemmBias on 0/1 inputs whenever the weights are finite and no partial
	// sum is −0 (the runtime checks per layer that both paths agree before it
	// lets the firing rate choose). Bit-identical across variants.
	SpikeGemmBias func(y, x, wt, bias []float32, R, K, M int)

	// GLU computes dst[i] = a[i]·sigmoid(b[i]) for i < len(dst). The assembly
	// variants compute sigmoid(b) within 3 ulp of the float64 value, subnormal
	// results included (NEON: for b ≥ −87; below, within 2⁻¹²⁶), see
	// TestGLUAccuracy, and are within GLUTolerance of generic. A fixed variant
	// gives an element the same bits wherever it sits in a call (tails run the
	// same vector code through a padded buffer).
	GLU func(dst, a, b []float32)

	// GLURows runs GLU over rows in the layout of the GLU op: src holds rows
	// of 2h floats, dst rows of h, and for r < len(dst)/h, j < h,
	//   dst[r·h+j] = src[r·2h+j]·sigmoid(src[r·2h+h+j]).
	// Each row gets exactly the bits of GLU on its two halves (one call for
	// many rows instead of one per row).
	GLURows func(dst, src []float32, h int)

	// PMBCPass runs one pass of the interval (max-min bound) neuron over one
	// chunk of T steps; see PMBCPassGeneric. Used by PMBC.
	PMBCPass func(p *NeuronParams, x, s []float32, und []uint16, iv *NeuronInterval, T int) (undecided int)

	// SDN runs the SDNNeuron surrogate network (OPS.md) for one block of
	// Lanes channels over T steps. v is the [T][Lanes] input; mem and s
	// ([T][Lanes] membrane and 0/1 spikes) are outputs and may be nil. hist
	// holds the 8 inputs before v[0] as [8][Lanes], oldest first (zeros at the
	// start of a stream), and is set to the last 8 inputs on return, so
	// streaming T = 1 calls reproduce one call over the whole sequence.
	// Assembly variants use FMA chains: mem is within SDNTolerance of
	// sdnGeneric and spikes agree wherever the margin exceeds that bound; a
	// fixed variant gives the same bits in streaming and sequence calls.
	SDN func(p *SDNParams, v, mem, s []float32, hist *[8 * Lanes]float32, T int)

	// GELU sets out[j] = 0.5·in[j]·(1 + erf(in[j]/√2)) for j < len(in) (exact-
	// erf GELU as relu(x) − |x|·Φ(−|x|), Φ(−t) a piecewise degree-5 polynomial
	// evaluated with fused multiply-adds; see geluGeneric for the exact float32
	// operations and the error bound, 1.21e-7). Every variant computes the same
	// operations (the Go twin emulates the float32 FMA exactly), so results are
	// bit-identical across variants and positions.
	// out must be at least as long as in; in and out may be the same slice.
	GELU func(out, in []float32)

	// LayerNorm normalises the len(in)/c rows of in (width c) over the row:
	// out = (x − mean)/sqrt(var + eps)·gamma + beta with the biased variance,
	// gamma and beta of length c. Sums use 16 lane-wise partial sums and a fixed
	// tree (see layerNormGeneric), so a row's result depends only on the row
	// and c, never on its position; every variant computes the same float32
	// operations (no FMA), so results are bit-identical across variants.
	LayerNorm func(out, in, gamma, beta []float32, c int, eps float64)

	// Add sets out[j] = a[j] + b[j] for j < len(out) (a and b at least as
	// long; any of them may alias). One float32 addition per element, so
	// results are bit-identical across variants.
	Add func(out, a, b []float32)
}

// ScanTolerance bounds the difference between any variant's Scan or
// ScanSpikes output and the generic one, for inputs without NaN/Inf:
//
//	|y[t] − y_generic[t]| ≤ ScanTolerance · G · S[t]
//	S[t] = Σ_n |2·c_n|·|x_n[t]| + |d·u[t]|,   G = min(t+1, 1/(1 − max_n |a_n|))
//
// Assembly variants fold the factor 2 into c, accumulate the Σ_n in a
// different order and use FMA in the state update, so the state differs from
// the generic one by a few ulp per step; G bounds how such differences
// accumulate through the recurrence. Measured worst case on the tests:
// 2.5e-7 (AVX-512), 1.9e-7 (AVX2).
const ScanTolerance = 2e-6

// GemmTolerance bounds |y − y_generic| ≤ GemmTolerance·(|y₀| + Σ_k |x·w|) for
// Gemm across variants.
const GemmTolerance = 1e-5

// GLUTolerance bounds |dst − dst_generic| ≤ GLUTolerance·|a| for GLU across
// variants. AVX-512 and AVX2 compute e = exp(−|b|) (Cody–Waite reduction, a
// degree-6 polynomial, exact scaling into the subnormals) and
// sigmoid = (b < 0 ? e : 1)/(1 + e) (AVX-512: VRCP14PS and one Newton step;
// AVX2: a division), measured worst case 2.5 ulp of the float64 sigmoid
// (TestGLUAccuracy bounds it by 3); NEON uses exp(−b) with −b clamped to 88.
// NaN in a or b gives NaN, as in generic.
const GLUTolerance = 5e-7

var (
	tablesOnce sync.Once
	tables     []*Kernels // available, best first, generic last
)

func available() []*Kernels {
	tablesOnce.Do(func() {
		tables = append(archKernels(), genericKernels())
	})
	return tables
}

// Variants lists the variants this CPU can run, best first; generic is always
// last.
func Variants() []Variant {
	ks := available()
	out := make([]Variant, len(ks))
	for i, k := range ks {
		out[i] = k.Name
	}
	return out
}

// Select returns the kernel table of variant v, or an error if v is unknown or
// cannot run on this CPU (or was compiled out by the purego tag).
func Select(v Variant) (*Kernels, error) {
	switch v {
	case VariantGeneric, VariantAVX2, VariantAVX512, VariantNEON:
	default:
		return nil, fmt.Errorf("spikessm: unknown kernel variant %q (want generic, avx2, avx512 or neon)", string(v))
	}
	for _, k := range available() {
		if k.Name == v {
			return k, nil
		}
	}
	return nil, fmt.Errorf("spikessm: kernel variant %q is not available on this CPU/build (available: %v)", string(v), Variants())
}

var (
	defaultOnce sync.Once
	defaultK    *Kernels
	defaultErr  error
)

// DefaultErr returns the best available kernel table, or the one forced by the
// SPIKESSM_KERNELS environment variable. If the forced variant is unknown or
// unavailable it returns the best available table together with an error
// saying so. The environment is read once.
func DefaultErr() (*Kernels, error) {
	defaultOnce.Do(func() {
		defaultK, defaultErr = pickDefault(os.Getenv(EnvKernels))
	})
	return defaultK, defaultErr
}

// pickDefault resolves a SPIKESSM_KERNELS value ("" = best available).
func pickDefault(env string) (*Kernels, error) {
	best := available()[0]
	v := strings.ToLower(strings.TrimSpace(env))
	if v == "" {
		return best, nil
	}
	k, err := Select(Variant(v))
	if err != nil {
		return best, fmt.Errorf("%s=%s: %w", EnvKernels, env, err)
	}
	return k, nil
}

// Default returns the kernel table DefaultErr returns. It never panics; an
// invalid SPIKESSM_KERNELS is ignored here (the best table is used) and
// reported by DefaultErr.
func Default() *Kernels {
	k, _ := DefaultErr()
	return k
}

// Tile copies channels block*Lanes .. block*Lanes+Lanes−1 of src, a (T, H)
// row-major matrix, into dst as [T][Lanes]; channels ≥ H are written as 0.
// It panics if dst has fewer than T·Lanes or src fewer than T·H floats.
func Tile(dst, src []float32, T, H, block int) {
	c0 := block * Lanes
	n := min(Lanes, H-c0)
	if n <= 0 {
		clear(dst[:T*Lanes]) // a block wholly beyond H is all padding
		return
	}
	_ = dst[:T*Lanes]
	if n == Lanes && T > 0 {
		// Whole blocks: one strided 64-byte move per step (a copy call per row costs
		// several times the move).
		copyRows16(dst, src[c0:], T, Lanes, H)
		return
	}
	for t := range T {
		d := dst[t*Lanes : t*Lanes+Lanes]
		copy(d[:n], src[t*H+c0:t*H+c0+n])
		clear(d[n:])
	}
}

// Untile is the inverse of Tile: it copies the valid lanes of src, one
// [T][Lanes] block, into channels block*Lanes.. of dst, a (T, H) row-major
// matrix. Padding lanes are ignored.
func Untile(dst, src []float32, T, H, block int) {
	c0 := block * Lanes
	n := min(Lanes, H-c0)
	if n <= 0 {
		return
	}
	_ = src[:T*Lanes]
	if n == Lanes && T > 0 {
		copyRows16(dst[c0:], src, T, H, Lanes)
		return
	}
	for t := range T {
		copy(dst[t*H+c0:t*H+c0+n], src[t*Lanes:t*Lanes+n])
	}
}

// PackScan packs per-channel S4D parameters, each (H, N) row-major, and d (H)
// (nil means zero) into ceil(H/Lanes) blocks of [N][Lanes] parameters.
// Padding lanes are zero, so their output and state stay zero (when every b
// is exactly 1 + 0i, padding lanes get b = 1 too, and their state stays zero
// as long as their input does, as Tile writes it). It panics if a slice is
// shorter than H·N (d: H); callers validate shapes first.
func PackScan(aRe, aIm, bRe, bIm, cRe, cIm []float32, d []float32, H, N int) []ScanParams {
	nb := (H + Lanes - 1) / Lanes
	out := make([]ScanParams, nb)
	unit := H*N > 0
	for i := range H * N {
		if bRe[i] != 1 || bIm[i] != 0 {
			unit = false
			break
		}
	}
	src := [6][]float32{aRe, aIm, bRe, bIm, cRe, cIm}
	for b := range out {
		var dst [6][]float32
		for i := range dst {
			dst[i] = make([]float32, N*Lanes)
		}
		dd := make([]float32, Lanes)
		for l := range Lanes {
			h := b*Lanes + l
			if h >= H {
				break
			}
			for i := range 6 {
				for n := range N {
					dst[i][n*Lanes+l] = src[i][h*N+n]
				}
			}
			if d != nil {
				dd[l] = d[h]
			}
		}
		if unit {
			for i := range dst[2] {
				dst[2][i] = 1
			}
		}
		out[b] = ScanParams{N: N, ARe: dst[0], AIm: dst[1], BRe: dst[2], BIm: dst[3], CRe: dst[4], CIm: dst[5], D: dd, unitB: unit}
	}
	return out
}

// PackSpikes packs s (0/1 floats; any non-zero counts as 1) into mask, bit j
// of mask[j/64] for s[j], LSB-first. The words covering len(s) are fully
// written (bits beyond len(s) in the last word are cleared).
func PackSpikes(mask []uint64, s []float32) {
	nw := (len(s) + 63) / 64
	_ = mask[:nw]
	for w := range nw {
		var m uint64
		lo := w * 64
		hi := min(lo+64, len(s))
		for j, v := range s[lo:hi] {
			if v != 0 {
				m |= 1 << uint(j)
			}
		}
		mask[w] = m
	}
}
