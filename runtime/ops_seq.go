package runtime

import (
	"errors"
	"fmt"
	"sync"
	"time"
	"unsafe"

	"github.com/spikessm/spikessm"
)

const lanes = spikessm.Lanes

func nblocks(c int) int { return (c + lanes - 1) / lanes }

// chanShape checks the activation input against a channel count.
func chanShape(step bool, s []int, c int) error {
	_, _, sc, err := seqShape(step, s)
	if err != nil {
		return err
	}
	if sc != c {
		return fmt.Errorf("input has %d channels (shape %v), the parameters have %d", sc, s, c)
	}
	return nil
}

// ---- S4D ----

type s4d struct {
	h, n     int
	fwd, bwd []spikessm.ScanParams
	bidir    bool
	spikeIn  bool
	step     bool
}

func buildS4D(p *plan, cn *cnode, a map[string]any) (opImpl, error) {
	bi, err := attrInt(a, "bidirectional", 0)
	if err != nil {
		return nil, err
	}
	if bi != 0 && bi != 1 {
		return nil, fmt.Errorf("bidirectional = %d, want 0 or 1", bi)
	}
	ar, as, err := cst(p, cn, 1, "a_re", -1, -1)
	if err != nil {
		return nil, err
	}
	h, n := as[0], as[1]
	if h == 0 || n == 0 {
		return nil, fmt.Errorf("a_re has shape %v", as)
	}
	get := func(i int, what string) ([]float32, error) {
		d, _, err := cst(p, cn, i, what, h, n)
		if err == nil && d == nil {
			err = fmt.Errorf("missing input %s", what)
		}
		return d, err
	}
	var par [6][]float32
	par[0] = ar
	for i, what := range []string{"a_im", "b_re", "b_im", "c_re", "c_im"} {
		if par[i+1], err = get(i+2, what); err != nil {
			return nil, err
		}
	}
	d, err := perChannel(p, cn, 7, "d", h)
	if err != nil {
		return nil, err
	}
	o := &s4d{h: h, n: n, bidir: bi == 1, spikeIn: isSpike(p, cn, 0), step: p.stepMode}
	o.fwd = spikessm.PackScan(par[0], par[1], par[2], par[3], par[4], par[5], d, h, n)
	if o.bidir {
		cbr, err := get(8, "c_bwd_re")
		if err != nil {
			return nil, err
		}
		cbi, err := get(9, "c_bwd_im")
		if err != nil {
			return nil, err
		}
		o.bwd = spikessm.PackScan(par[0], par[1], par[2], par[3], cbr, cbi, nil, h, n)
	} else if len(cn.in) > 8 {
		return nil, errors.New("c_bwd_re/c_bwd_im given but bidirectional = 0")
	}
	return o, nil
}

func (o *s4d) stepOK() error {
	if o.bidir {
		return errors.New("bidirectional S4D is sequence-only")
	}
	return nil
}

func (o *s4d) infer(in [][]int) ([][]int, error) {
	if err := chanShape(o.step, in[0], o.h); err != nil {
		return nil, err
	}
	return [][]int{in[0]}, nil
}

func (o *s4d) stateSizes(in []*tval) []int {
	sz := in[0].shape[0] * nblocks(o.h) * o.n * lanes
	return []int{sz, sz}
}

func (o *s4d) run(x *execCtx) error {
	b, _, _ := x.btc(x.in[0])
	if x.stats != nil {
		x.stats.Path = "scan"
		if o.spikeIn {
			x.stats.Path = "scan-spikes"
			x.stats.InputSpikeRate = spikeRate(x.in[0].data)
		}
		if o.bidir {
			x.stats.Path += "+reverse"
		}
	}
	x.parGroups(b*nblocks(o.h), x.rowGroups(b, nblocks(o.h)), o, len(x.in[0].data)*o.n*8)
	return nil
}

func (o *s4d) item(x *execCtx, w, i int) {
	_, t, h := x.btc(x.in[0])
	nb := nblocks(h)
	b, blk := i/nb, i%nb
	o.rowBlock(x, w, b, blk, x.out[0].data[b*t*h:(b+1)*t*h], x.st[0], x.st[1])
}

// rowBlock runs the layer for batch row b and channel block blk with state stRe, stIm (all
// rows and blocks), writing the block's channels of out, the row's (T, H) output. A full
// block of a causal layer with float input is scanned in place (ScanStrided: no copy into
// and out of a tile, the same bits); the others go through tile.
func (o *s4d) rowBlock(x *execCtx, w, b, blk int, out, stRe, stIm []float32) {
	_, t, h := x.btc(x.in[0])
	if (blk+1)*lanes > h || o.bidir || o.spikeIn {
		spikessm.Untile(out, o.tile(x, w, b, blk, stRe, stIm), t, h, blk)
		return
	}
	ssz := o.n * lanes
	off := (b*nblocks(h) + blk) * ssz
	in := x.in[0].data[b*t*h : (b+1)*t*h]
	x.k.ScanStrided(&o.fwd[blk], in[blk*lanes:], out[blk*lanes:], h, stRe[off:off+ssz], stIm[off:off+ssz], t)
}

// tile runs the layer for batch row b and channel block blk with state stRe, stIm (all rows
// and blocks) and returns the output tile [T][Lanes], in scratch slot 1 of worker w (slots
// 0–5 are used).
func (o *s4d) tile(x *execCtx, w, b, blk int, stRe, stIm []float32) []float32 {
	_, t, h := x.btc(x.in[0])
	nb := nblocks(h)
	sc := &x.ws[w]
	u := sc.f32(0, t*lanes)
	y := sc.f32(1, t*lanes)
	ssz := o.n * lanes
	off := (b*nb + blk) * ssz
	xr := stRe[off : off+ssz]
	xi := stIm[off : off+ssz]
	spikessm.Tile(u, x.in[0].data[b*t*h:(b+1)*t*h], t, h, blk)
	p := &o.fwd[blk]
	if o.spikeIn {
		mask := sc.mask16(0, t)
		for s := 0; s < t; s++ {
			var mk uint16
			for l, v := range u[s*lanes : (s+1)*lanes] {
				if v != 0 {
					mk |= 1 << l
				}
			}
			mask[s] = mk
		}
		x.k.ScanSpikes(p, mask, y, xr, xi, t)
	} else {
		x.k.Scan(p, u, y, xr, xi, t)
	}
	if o.bidir {
		// Anti-causal part: z[t] = Σ_{s>t} a^(s-t-1)·b·u[s], a forward scan over the reversed
		// input delayed by one step; y[t] += 2·Re Σ c_bwd·z[t].
		r := sc.f32(2, t*lanes)
		yb := sc.f32(3, t*lanes)
		br := sc.f32(4, ssz)
		bi := sc.f32(5, ssz)
		clear(br)
		clear(bi)
		clear(r[:lanes])
		// r[τ] = u[t−τ] for τ ≥ 1: rows t−1 … 1 of this row's input, reversed.
		if t > 1 {
			spikessm.TileReverse(r[lanes:], x.in[0].data[b*t*h+h:(b+1)*t*h], t-1, h, blk)
		}
		x.k.Scan(&o.bwd[blk], r, yb, br, bi, t)
		spikessm.AddReversed(y, yb, t) // y[s] += yb[t−1−s]
	}
	return y
}

// ---- SDNNeuron ----

type sdn struct {
	c, nb      int
	w1, w2, w3 []float32
	thr        float32
	step       bool
	kp         spikessm.SDNParams // the same network for Kernels.SDN
}

func buildSDN(p *plan, cn *cnode, a map[string]any) (opImpl, error) {
	th, err := attrFloat(a, "threshold", 1)
	if err != nil {
		return nil, err
	}
	o := &sdn{thr: float32(th), step: p.stepMode, c: -1}
	var b1, b2, b3 []float32
	if o.w1, _, err = cst(p, cn, 1, "w1", 8, 8); err == nil {
		if b1, _, err = cst(p, cn, 2, "b1", 8); err == nil {
			if o.w2, _, err = cst(p, cn, 3, "w2", 8, 8); err == nil {
				if b2, _, err = cst(p, cn, 4, "b2", 8); err == nil {
					if o.w3, _, err = cst(p, cn, 5, "w3", 8); err == nil {
						b3, _, err = cst(p, cn, 6, "b3", 1)
					}
				}
			}
		}
	}
	if err != nil {
		return nil, err
	}
	for k := 0; k < 8; k++ {
		copy(o.kp.W1[k][:], o.w1[k*8:(k+1)*8])
		copy(o.kp.W2[k][:], o.w2[k*8:(k+1)*8])
	}
	copy(o.kp.B1[:], b1)
	copy(o.kp.B2[:], b2)
	copy(o.kp.W3[:], o.w3)
	o.kp.B3 = b3[0]
	o.kp.Threshold = o.thr
	return o, nil
}

func (o *sdn) infer(in [][]int) ([][]int, error) {
	if _, _, _, err := seqShape(o.step, in[0]); err != nil {
		return nil, err
	}
	return [][]int{in[0], in[0]}, nil
}

func (o *sdn) stateSizes(in []*tval) []int {
	s := in[0].shape
	return []int{s[0] * nblocks(s[len(s)-1]) * 8 * lanes}
}

func (o *sdn) run(x *execCtx) error {
	b, _, c := x.btc(x.in[0])
	x.parGroups(b*nblocks(c), x.rowGroups(b, nblocks(c)), o, len(x.in[0].data)*150)
	return nil
}

// item runs one (row, 16-channel block) over all T steps through Kernels.SDN (the network
// per lane and step; a fixed kernel variant gives the same bits for a step wherever it is).
// The 8-step input history lives in the op state, so streaming (T = 1) reproduces the
// sequence bit for bit.
func (o *sdn) item(x *execCtx, w, i int) {
	_, t, c := x.btc(x.in[0])
	nb := nblocks(c)
	b, blk := i/nb, i%nb
	sc := &x.ws[w]
	tl := t * lanes
	v := sc.f32(0, tl)
	st := sc.f32(5, tl)
	var mem []float32
	withMem := len(x.out) > 1 && x.out[1] != nil && x.needed(x.node.out[1])
	if withMem {
		mem = sc.f32(4, tl)
	}
	hist := (*[8 * lanes]float32)(x.st[0][(b*nb+blk)*8*lanes : (b*nb+blk+1)*8*lanes])
	spikessm.Tile(v, x.in[0].data[b*t*c:(b+1)*t*c], t, c, blk)
	x.k.SDN(&o.kp, v, mem, st, hist, t)
	spikessm.Untile(x.out[0].data[b*t*c:(b+1)*t*c], st, t, c, blk)
	if withMem {
		spikessm.Untile(x.out[1].data[b*t*c:(b+1)*t*c], mem, t, c, blk)
	}
}

// relu clamps negative values (and −0, NaN with the sign bit) to +0 without branches, two
// floats per 64-bit word.
func relu(d []float32) {
	n2 := len(d) / 2
	if n2 > 0 {
		u := unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(d))), n2)
		for i, w := range u {
			s := (w >> 31) & 0x0000000100000001
			u[i] = w &^ (s * 0xFFFFFFFF)
		}
	}
	if len(d)%2 == 1 {
		if v := d[len(d)-1]; !(v > 0) {
			d[len(d)-1] = 0
		}
	}
}

// ---- SpikingNeuron ----

type spikingNeuron struct {
	c                     int
	tau, theta, rho, beta []float32
	params                []spikessm.NeuronParams
	reset                 string
	strict                bool
	solver                string
	step                  bool
	choice                sync.Map // T -> bool (true = PMBC faster), measured on first use
	runs                  [2]neuronRun
}

func buildSpikingNeuron(p *plan, cn *cnode, a map[string]any) (opImpl, error) {
	reset, err := attrString(a, "reset", "soft", "soft", "hard", "none")
	if err != nil {
		return nil, err
	}
	cmp, err := attrString(a, "compare", "ge", "ge", "gt")
	if err != nil {
		return nil, err
	}
	solver, err := attrString(a, "solver", "auto", "auto", "sequential", "pmbc")
	if err != nil {
		return nil, err
	}
	if solver == "pmbc" && reset != "soft" {
		return nil, errors.New("solver pmbc needs reset = soft")
	}
	tau, ts, err := cst(p, cn, 1, "tau", -1)
	if err != nil {
		return nil, err
	}
	c := ts[0]
	o := &spikingNeuron{c: c, tau: tau, reset: reset, strict: cmp == "gt", solver: solver, step: p.stepMode}
	if o.theta, err = perChannel(p, cn, 2, "theta", c); err != nil {
		return nil, err
	}
	if o.theta == nil {
		return nil, errors.New("missing theta")
	}
	if o.rho, err = perChannel(p, cn, 3, "rho", c); err != nil {
		return nil, err
	}
	if o.beta, err = perChannel(p, cn, 4, "beta", c); err != nil {
		return nil, err
	}
	if o.rho == nil {
		o.rho = make([]float32, c)
	}
	if o.beta == nil {
		o.beta = make([]float32, c)
	}
	for j := 0; j < c; j++ {
		if !(o.theta[j] > 0) || o.tau[j] < 0 || o.tau[j] > 1 || o.rho[j] < 0 || o.beta[j] < 0 || o.beta[j] >= 1 {
			return nil, fmt.Errorf("channel %d: need θ > 0, τ ∈ [0,1], ρ ≥ 0, β ∈ [0,1); have θ=%v τ=%v ρ=%v β=%v", j, o.theta[j], o.tau[j], o.rho[j], o.beta[j])
		}
	}
	o.runs = [2]neuronRun{{o: o, mode: neuronSeq}, {o: o, mode: neuronPMBC}}
	mode := map[string]spikessm.ResetMode{"soft": spikessm.ResetSoft, "hard": spikessm.ResetHard, "none": spikessm.ResetNone}[reset]
	o.params = make([]spikessm.NeuronParams, nblocks(c))
	for blk := range o.params {
		np := &o.params[blk]
		np.Reset, np.Strict = mode, o.strict
		for l := 0; l < lanes; l++ {
			j := blk*lanes + l
			if j < c {
				np.Tau[l], np.Theta[l], np.Rho[l], np.Beta[l] = o.tau[j], o.theta[j], o.rho[j], o.beta[j]
			} else {
				np.Theta[l] = 1
			}
		}
	}
	return o, nil
}

func (o *spikingNeuron) infer(in [][]int) ([][]int, error) {
	if err := chanShape(o.step, in[0], o.c); err != nil {
		return nil, err
	}
	return [][]int{in[0], in[0]}, nil
}

func (o *spikingNeuron) stateSizes(in []*tval) []int {
	sz := in[0].shape[0] * nblocks(o.c) * lanes
	return []int{sz, sz, sz}
}

const (
	neuronSeq = iota
	neuronPMBC
	neuronScalar
)

// neuronRun is the per-run view of a spikingNeuron with the chosen solver.
type neuronRun struct {
	o    *spikingNeuron
	mode int
}

func (o *spikingNeuron) run(x *execCtx) error {
	b, t, _ := x.btc(x.in[0])
	mode := neuronSeq
	withMem := len(x.out) > 1 && x.out[1] != nil && x.needed(x.node.out[1])
	switch {
	case withMem:
		mode = neuronScalar
	case x.step || o.reset != "soft" || o.solver == "sequential":
	case o.solver == "pmbc":
		mode = neuronPMBC
	default:
		if v, ok := o.choice.Load(t); ok {
			if v.(bool) {
				mode = neuronPMBC
			}
		} else {
			pm := o.measure(x, t)
			o.choice.Store(t, pm)
			if pm {
				mode = neuronPMBC
			}
		}
	}
	if x.stats != nil {
		x.stats.Path = [...]string{"sequential", "pmbc", "scalar"}[mode]
	}
	if mode == neuronScalar {
		for i := 0; i < b; i++ {
			o.scalarRow(x, i)
		}
		return nil
	}
	items := b * nblocks(o.c)
	if mode == neuronSeq {
		items = (items + neuronGroup - 1) / neuronGroup
	}
	x.par(items, &o.runs[mode], 8*len(x.in[0].data))
	return x.err
}

// neuronGroup is the number of blocks the sequential solver passes to one NeuronBlocks call
// (variants interleave blocks to hide the per-step dependency chain; AVX-512 runs four).
const neuronGroup = 4

// itemBlocks runs the sequential solver on group i of up to neuronGroup consecutive
// (batch row, block) pairs, in row-major order over the whole batch, with one NeuronBlocks
// call. Its results are exactly those of Neuron per block, so the grouping (which rows share
// a call) changes no bits.
func (nr *neuronRun) itemBlocks(x *execCtx, w, i int) {
	o := nr.o
	bs, t, c := x.btc(x.in[0])
	nb := nblocks(c)
	p0 := i * neuronGroup
	n := min(neuronGroup, bs*nb-p0)
	sc := &x.ws[w]
	tl := t * lanes
	u := sc.f32(0, n*tl)
	s := sc.f32(1, n*tl)
	sts := sc.nsb[:n]
	params := sc.npb[:n]
	for k := 0; k < n; k++ {
		b, blk := (p0+k)/nb, (p0+k)%nb
		spikessm.Tile(u[k*tl:(k+1)*tl], x.in[0].data[b*t*c:(b+1)*t*c], t, c, blk)
		off := (p0 + k) * lanes
		copy(sts[k].M[:], x.st[0][off:off+lanes])
		copy(sts[k].S[:], x.st[1][off:off+lanes])
		copy(sts[k].R[:], x.st[2][off:off+lanes])
		params[k] = o.params[blk]
	}
	x.k.NeuronBlocks(params, u, s, nil, sts, t)
	for k := 0; k < n; k++ {
		b, blk := (p0+k)/nb, (p0+k)%nb
		off := (p0 + k) * lanes
		copy(x.st[0][off:off+lanes], sts[k].M[:])
		copy(x.st[1][off:off+lanes], sts[k].S[:])
		copy(x.st[2][off:off+lanes], sts[k].R[:])
		spikessm.Untile(x.out[0].data[b*t*c:(b+1)*t*c], s[k*tl:(k+1)*tl], t, c, blk)
	}
}

// measure times the sequential and the PMBC solver on the first block of this run's input and
// reports whether PMBC was faster (both give the same spikes).
func (o *spikingNeuron) measure(x *execCtx, t int) bool {
	_, _, c := x.btc(x.in[0])
	u := make([]float32, t*lanes)
	s := make([]float32, t*lanes)
	spikessm.Tile(u, x.in[0].data[:t*c], t, c, 0)
	// The sequential solver runs up to neuronGroup blocks per NeuronBlocks call: time it on
	// a full group of copies of block 0 against PMBC on each of them.
	g := min(neuronGroup, nblocks(c))
	ug := make([]float32, g*t*lanes)
	sg := make([]float32, g*t*lanes)
	for k := 0; k < g; k++ {
		copy(ug[k*t*lanes:], u)
	}
	params := make([]spikessm.NeuronParams, g)
	for k := range params {
		params[k] = o.params[0]
	}
	sts := make([]spikessm.NeuronState, g)
	best := [2]time.Duration{1 << 62, 1 << 62}
	for rep := 0; rep < 3; rep++ {
		clear(sts)
		t0 := time.Now()
		x.k.NeuronBlocks(params, ug, sg, nil, sts, t)
		best[0] = min(best[0], time.Since(t0))
		t0 = time.Now()
		for k := 0; k < g; k++ {
			if _, err := spikessm.PMBC(x.k, &o.params[0], u, s, t); err != nil {
				return false
			}
		}
		best[1] = min(best[1], time.Since(t0))
	}
	return best[1] < best[0]
}

func (nr *neuronRun) item(x *execCtx, w, i int) {
	if nr.mode == neuronSeq {
		nr.itemBlocks(x, w, i)
		return
	}
	o := nr.o
	_, t, c := x.btc(x.in[0])
	nb := nblocks(c)
	b, blk := i/nb, i%nb
	sc := &x.ws[w]
	u := sc.f32(0, t*lanes)
	s := sc.f32(1, t*lanes)
	spikessm.Tile(u, x.in[0].data[b*t*c:(b+1)*t*c], t, c, blk)
	off := (b*nb + blk) * lanes
	pmbcOK := false
	if nr.mode == neuronPMBC {
		_, err := spikessm.PMBC(x.k, &o.params[blk], u, s, t)
		pmbcOK = err == nil // on failure the sequential solver below gives the same answer
	}
	if !pmbcOK {
		st := &x.ws[w].ns
		copy(st.M[:], x.st[0][off:off+lanes])
		copy(st.S[:], x.st[1][off:off+lanes])
		copy(st.R[:], x.st[2][off:off+lanes])
		x.k.Neuron(&o.params[blk], u, s, nil, st, t)
		copy(x.st[0][off:off+lanes], st.M[:])
		copy(x.st[1][off:off+lanes], st.S[:])
		copy(x.st[2][off:off+lanes], st.R[:])
	}
	spikessm.Untile(x.out[0].data[b*t*c:(b+1)*t*c], s, t, c, blk)
}

// scalarRow is the plain Go form of the op, used when the membrane output is requested.
func (o *spikingNeuron) scalarRow(x *execCtx, b int) {
	_, t, c := x.btc(x.in[0])
	nb := nblocks(c)
	in := x.in[0].data[b*t*c : (b+1)*t*c]
	so := x.out[0].data[b*t*c : (b+1)*t*c]
	mo := x.out[1].data[b*t*c : (b+1)*t*c]
	for j := 0; j < c; j++ {
		off := (b*nb+j/lanes)*lanes + j%lanes
		m, sp, r := x.st[0][off], x.st[1][off], x.st[2][off]
		for s := 0; s < t; s++ {
			xv := in[s*c+j]
			// Explicit float32 conversions round every product (no fused multiply-add), in
			// the order OPS.md writes: ((τ·(m − θ·s)) + x) − ρ·r.
			rr := float32(o.rho[j] * r)
			switch o.reset {
			case "soft":
				m = (float32(o.tau[j]*float32(m-float32(o.theta[j]*sp))) + xv) - rr
			case "hard":
				m = (float32(float32(o.tau[j]*m)*(1-sp)) + xv) - rr
			default:
				m = (float32(o.tau[j]*m) + xv) - rr
			}
			if (o.strict && m > o.theta[j]) || (!o.strict && m >= o.theta[j]) {
				sp = 1
			} else {
				sp = 0
			}
			so[s*c+j] = sp
			// The spike is decided on the unflushed membrane; the state (and the m output)
			// is flushed as in every kernel variant (spikessm.NeuronFlush, OPS.md).
			m = spikessm.NeuronFlush(m)
			mo[s*c+j] = m
			r = spikessm.NeuronFlush(float32(o.beta[j]*r) + sp)
		}
		x.st[0][off], x.st[1][off], x.st[2][off] = m, sp, r
	}
}

// ---- LeakyIntegrator ----

type leaky struct {
	c                  int
	alpha, beta, gamma []float32
	step               bool
}

func buildLeakyIntegrator(p *plan, cn *cnode, a map[string]any) (opImpl, error) {
	al, as, err := cst(p, cn, 1, "alpha", -1)
	if err != nil {
		return nil, err
	}
	o := &leaky{c: as[0], alpha: al, step: p.stepMode}
	if o.beta, err = perChannel(p, cn, 2, "beta", o.c); err != nil {
		return nil, err
	}
	if o.beta == nil {
		return nil, errors.New("missing beta")
	}
	if o.gamma, err = perChannel(p, cn, 3, "gamma", o.c); err != nil {
		return nil, err
	}
	if o.gamma == nil {
		o.gamma = make([]float32, o.c)
	}
	return o, nil
}

func (o *leaky) infer(in [][]int) ([][]int, error) {
	if err := chanShape(o.step, in[0], o.c); err != nil {
		return nil, err
	}
	return [][]int{in[0]}, nil
}

func (o *leaky) stateSizes(in []*tval) []int { return []int{in[0].shape[0] * o.c} }

func (o *leaky) run(x *execCtx) error {
	b, _, _ := x.btc(x.in[0])
	x.par(b, o, 4*len(x.in[0].data))
	return nil
}

func (o *leaky) item(x *execCtx, _ int, b int) {
	_, t, c := x.btc(x.in[0])
	v := x.st[0][b*c : (b+1)*c]
	in := x.in[0].data[b*t*c : (b+1)*t*c]
	out := x.out[0].data[b*t*c : (b+1)*t*c]
	for s := 0; s < t; s++ {
		for j := 0; j < c; j++ {
			a := o.alpha[j] * v[j]
			bx := o.beta[j] * in[s*c+j]
			v[j] = (a + bx) + o.gamma[j]
			out[s*c+j] = v[j]
		}
	}
}

// ---- CubaLIF ----

type cubaLIF struct {
	c                                                  int
	aSyn, bSyn, aMem, bMem, gamma, theta, vReset, wRec []float32
	reset                                              string
	strict                                             bool
	step                                               bool
}

func buildCubaLIF(p *plan, cn *cnode, a map[string]any) (opImpl, error) {
	reset, err := attrString(a, "reset", "hard", "hard", "soft", "none")
	if err != nil {
		return nil, err
	}
	cmp, err := attrString(a, "compare", "gt", "gt", "ge")
	if err != nil {
		return nil, err
	}
	as, ash, err := cst(p, cn, 1, "alpha_syn", -1)
	if err != nil {
		return nil, err
	}
	c := ash[0]
	o := &cubaLIF{c: c, aSyn: as, reset: reset, strict: cmp == "gt", step: p.stepMode}
	dst := []*[]float32{&o.bSyn, &o.aMem, &o.bMem, &o.gamma, &o.theta, &o.vReset}
	names := []string{"beta_syn", "alpha_mem", "beta_mem", "gamma", "theta", "v_reset"}
	for i, d := range dst {
		if *d, err = perChannel(p, cn, i+2, names[i], c); err != nil {
			return nil, err
		}
		if *d == nil {
			return nil, fmt.Errorf("missing %s", names[i])
		}
	}
	if o.wRec, _, err = cst(p, cn, 8, "w_rec", c, c); err != nil {
		return nil, err
	}
	return o, nil
}

func (o *cubaLIF) infer(in [][]int) ([][]int, error) {
	if err := chanShape(o.step, in[0], o.c); err != nil {
		return nil, err
	}
	return [][]int{in[0], in[0]}, nil
}

func (o *cubaLIF) stateSizes(in []*tval) []int {
	sz := in[0].shape[0] * o.c
	return []int{sz, sz, sz}
}

func (o *cubaLIF) run(x *execCtx) error {
	b, _, _ := x.btc(x.in[0])
	x.par(b, o, 8*len(x.in[0].data)*(1+len(o.wRec)/max(1, o.c)))
	return nil
}

func (o *cubaLIF) item(x *execCtx, w int, b int) {
	_, t, c := x.btc(x.in[0])
	cur := x.st[0][b*c : (b+1)*c]
	v := x.st[1][b*c : (b+1)*c]
	sp := x.st[2][b*c : (b+1)*c]
	in := x.in[0].data[b*t*c : (b+1)*t*c]
	so := x.out[0].data[b*t*c : (b+1)*t*c]
	var mo []float32
	if len(x.out) > 1 && x.out[1] != nil {
		mo = x.out[1].data[b*t*c : (b+1)*t*c]
	}
	ns := x.ws[w].f32(0, c)
	for s := 0; s < t; s++ {
		for j := 0; j < c; j++ {
			drive := in[s*c+j]
			if o.wRec != nil {
				var rec float32
				for k, sv := range sp {
					if sv != 0 {
						rec += o.wRec[j*c+k] * sv
					}
				}
				drive += rec
			}
			cur[j] = o.aSyn[j]*cur[j] + o.bSyn[j]*drive
			m := (o.aMem[j]*v[j] + o.bMem[j]*cur[j]) + o.gamma[j]
			fire := (o.strict && m > o.theta[j]) || (!o.strict && m >= o.theta[j])
			var f float32
			if fire {
				f = 1
			}
			ns[j] = f
			switch o.reset {
			case "hard":
				if fire {
					v[j] = o.vReset[j]
				} else {
					v[j] = m
				}
			case "soft":
				v[j] = m - o.theta[j]*f
			default:
				v[j] = m
			}
			so[s*c+j] = f
			if mo != nil {
				mo[s*c+j] = m
			}
		}
		copy(sp, ns)
	}
}
