package runtime

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spikessm/spikessm"
)

// Operator fusion for the sequence entry point.
//
// fuseChains rewrites a compiled sequence plan so that the elementwise or per-channel ops
// that follow an S4D layer run on its output tile, per (batch row, 16-channel block), while
// the tile is still in cache, instead of the layer writing (B, L, H) and the next op reading
// it back:
//
//   - S4D → ThresholdScale → SDNNeuron (SpikingSSMs' layer core): divide by vth, run the SDN
//     kernel, write the spikes;
//   - S4D → GELU (exact erf) and S4D → Heaviside (binary S4D): apply the kernel in place;
//   - Linear → GLU (the output projection): per 64-row chunk the product stays in a scratch
//     buffer and one GLURows call writes the GLU output.
//
// The arithmetic is exactly that of the separate ops (the same kernels on the same
// elements; elementwise kernels give an element the same bits wherever it sits), so results
// are bit-identical to the unfused plan. A chain is fused only when its intermediate values
// have no other reader and are not graph outputs. Runs use the fused plan; RunWith with
// captures, injections or RunOptions.Unfused uses the unfused one, so every intermediate
// stays observable.
func fuseChains(p *plan) *plan {
	if p.stepMode {
		return p
	}
	uses := make([]int, len(p.values))
	for _, n := range p.nodes {
		for _, i := range n.in {
			if i >= 0 {
				uses[i]++
			}
		}
	}
	for _, o := range p.outputs {
		uses[o] += 2 // a graph output is never an internal value
	}
	var nodes []*cnode
	fused := false
	for i := 0; i < len(p.nodes); i++ {
		if i+2 < len(p.nodes) {
			if f := fuseS4DSDN(p, uses, p.nodes[i], p.nodes[i+1], p.nodes[i+2]); f != nil {
				nodes = append(nodes, f)
				i += 2
				fused = true
				continue
			}
		}
		if f, n := fuseLinearGLU(uses, p.nodes[i:]); f != nil {
			nodes = append(nodes, f)
			i += n - 1
			fused = true
			continue
		}
		if i+1 < len(p.nodes) {
			if f := fuseS4DElem(uses, p.nodes[i], p.nodes[i+1]); f != nil {
				nodes = append(nodes, f)
				i++
				fused = true
				continue
			}
		}
		c := *p.nodes[i]
		nodes = append(nodes, &c)
	}
	if !fused {
		return p
	}
	for i, n := range nodes {
		n.idx = i
	}
	q := &plan{m: p.m, graph: p.graph, stepMode: p.stepMode, values: p.values, index: p.index,
		inputs: p.inputs, inputInfo: p.inputInfo, outputs: p.outputs, outputNames: p.outputNames, nodes: nodes}
	q.setLastUse()
	return q
}

// feedsOnly reports whether node a has exactly one output in use, its first, and node b is
// its only reader, through b's first input (uses: readers per value, graph outputs counted
// twice).
func feedsOnly(uses []int, a, b *cnode) bool {
	if len(a.out) < 1 || a.out[0] < 0 || uses[a.out[0]] != 1 || len(b.in) < 1 || b.in[0] != a.out[0] {
		return false
	}
	for _, o := range a.out[1:] {
		if o >= 0 {
			return false
		}
	}
	return true
}

// fuseS4DSDN returns the fused node of a, b, c when they form an S4D → ThresholdScale →
// SDNNeuron chain with private intermediates and matching channel counts, else nil.
func fuseS4DSDN(p *plan, uses []int, a, b, c *cnode) *cnode {
	s4, ok1 := a.impl.(*s4d)
	ts, ok2 := b.impl.(*thresholdScale)
	sd, ok3 := c.impl.(*sdn)
	if !ok1 || !ok2 || !ok3 || s4.spikeIn || !feedsOnly(uses, a, b) || !feedsOnly(uses, b, c) || len(ts.vth) != s4.h {
		return nil
	}
	nb := nblocks(s4.h)
	vth := make([][lanes]float32, nb)
	for blk := range vth {
		for l := range lanes {
			vth[blk][l] = 1 // padding lanes: 0/1 = 0, as Tile pads
			if h := blk*lanes + l; h < s4.h {
				vth[blk][l] = ts.vth[h]
			}
		}
	}
	return &cnode{name: a.name + "+" + b.name + "+" + c.name, op: a.op + "+" + b.op + "+" + c.op,
		in: a.in, out: c.out, impl: &s4dSDNChain{s4: s4, vth: vth, sd: sd}}
}

// s4dSDNChain is a fused S4D → ThresholdScale → SDNNeuron chain (see fuseChains). State:
// the S4D's (x_re, x_im) then the SDN's history.
type s4dSDNChain struct {
	s4  *s4d
	vth [][lanes]float32 // per block; padding lanes 1
	sd  *sdn
}

func (o *s4dSDNChain) infer(in [][]int) ([][]int, error) {
	y, err := o.s4.infer(in)
	if err != nil {
		return nil, err
	}
	return o.sd.infer(y[:1])
}

func (o *s4dSDNChain) stateSizes(in []*tval) []int {
	return append(o.s4.stateSizes(in), o.sd.stateSizes(in)...)
}

func (o *s4dSDNChain) run(x *execCtx) error {
	b, _, _ := x.btc(x.in[0])
	if len(x.st) != 3 {
		return fmt.Errorf("fused chain: %d state buffers, want 3", len(x.st))
	}
	if x.stats != nil {
		x.stats.Path = "scan+divide+sdn"
		if o.s4.bidir {
			x.stats.Path = "scan+reverse+divide+sdn"
		}
	}
	x.parGroups(b*nblocks(o.s4.h), x.rowGroups(b, nblocks(o.s4.h)), o, len(x.in[0].data)*(o.s4.n*8+150))
	return nil
}

func (o *s4dSDNChain) item(x *execCtx, w, i int) {
	_, t, h := x.btc(x.in[0])
	nb := nblocks(h)
	b, blk := i/nb, i%nb
	y := o.s4.tile(x, w, b, blk, x.st[0], x.st[1]) // scratch slot 1
	spikessm.DivChannels(y, y, o.vth[blk][:], lanes)
	sc := &x.ws[w]
	spk := sc.f32(6, t*lanes)
	var mem []float32
	withMem := len(x.out) > 1 && x.out[1] != nil && x.needed(x.node.out[1])
	if withMem {
		mem = sc.f32(7, t*lanes)
	}
	hist := (*[8 * lanes]float32)(x.st[2][(b*nb+blk)*8*lanes : (b*nb+blk+1)*8*lanes])
	x.k.SDN(&o.sd.kp, y, mem, spk, hist, t)
	spikessm.Untile(x.out[0].data[b*t*h:(b+1)*t*h], spk, t, h, blk)
	if withMem {
		spikessm.Untile(x.out[1].data[b*t*h:(b+1)*t*h], mem, t, h, blk)
	}
}

// fuseS4DElem returns the fused node of a and e when a is an S4D whose only reader is e, an
// exact-erf GELU or a Heaviside, else nil.
func fuseS4DElem(uses []int, a, e *cnode) *cnode {
	s4, ok := a.impl.(*s4d)
	if !ok || s4.spikeIn || !feedsOnly(uses, a, e) || len(e.out) != 1 || e.out[0] < 0 {
		return nil
	}
	var f func(k *spikessm.Kernels, y []float32)
	switch op := e.impl.(type) {
	case *rowOp:
		if !op.gelu {
			return nil
		}
		f = func(k *spikessm.Kernels, y []float32) { k.GELU(y, y) }
	case *heavisideOp:
		t := op.t
		f = func(_ *spikessm.Kernels, y []float32) { spikessm.Heaviside(y, y, t) }
	default:
		return nil
	}
	return &cnode{name: a.name + "+" + e.name, op: a.op + "+" + e.op, in: a.in, out: e.out,
		impl: &s4dElemChain{s4: s4, f: f, path: "scan+" + strings.ToLower(e.op)}}
}

// s4dElemChain is a fused S4D → elementwise chain (see fuseChains); state: the S4D's.
type s4dElemChain struct {
	s4   *s4d
	f    func(k *spikessm.Kernels, y []float32) // in place on a batch row's (T, H) output
	path string                                 // LayerStats.Path
}

func (o *s4dElemChain) infer(in [][]int) ([][]int, error) { return o.s4.infer(in) }

func (o *s4dElemChain) stateSizes(in []*tval) []int { return o.s4.stateSizes(in) }

func (o *s4dElemChain) run(x *execCtx) error {
	b, _, _ := x.btc(x.in[0])
	if x.stats != nil {
		x.stats.Path = o.path
	}
	work := len(x.in[0].data) * (o.s4.n*8 + 64)
	if b >= x.workers || work < minParallelWork {
		x.par(b, o, work)
		return nil
	}
	// Fewer rows than workers and enough work: the blocks of a row in parallel, then the
	// elementwise op over row chunks in parallel.
	x.parGroups(b*nblocks(o.s4.h), 1, (*s4dElemBlocks)(o), work)
	x.par(chunks(len(x.out[0].data)/o.s4.h), (*s4dElemRows)(o), work)
	return nil
}

// s4dElemBlocks runs the S4D part of the chain per (row, block); s4dElemRows then applies
// the elementwise op per rowChunk positions.
type (
	s4dElemBlocks s4dElemChain
	s4dElemRows   s4dElemChain
)

func (o *s4dElemBlocks) item(x *execCtx, w, i int) { o.s4.item(x, w, i) }

func (o *s4dElemRows) item(x *execCtx, _, i int) {
	h := o.s4.h
	lo, hi := chunkRange(i, len(x.out[0].data)/h)
	o.f(x.k, x.out[0].data[lo*h:hi*h])
}

// item runs batch row b: every block of the layer into the row's output, then the
// elementwise op over the whole row (an element gets the same bits wherever it sits).
func (o *s4dElemChain) item(x *execCtx, w, b int) {
	_, t, h := x.btc(x.in[0])
	out := x.out[0].data[b*t*h : (b+1)*t*h]
	for blk := range nblocks(h) {
		o.s4.rowBlock(x, w, b, blk, out, x.st[0], x.st[1])
	}
	o.f(x.k, out)
}

// fuseLinearGLU returns the fused node of the chain that starts ns[0] when ns[0] is a Linear
// whose only reader is the GLU ns[1], and the number of nodes it replaces (else nil, 0). Per
// 64-row chunk the product (dense or spike-sparse, chosen per run as the Linear would) goes
// to a scratch buffer in cache and one GLURows call computes the GLU: the (rows, 2H) product
// is never written out. When the GLU's only reader is the next node, a residual Add of the
// GLU output and another value, the addition joins the chain, and then a LayerNorm that reads
// the sum (post-norm blocks, or the next pre-norm block's norm); the sum is written out only
// when something else reads it (the pre-norm residual stream).
func fuseLinearGLU(uses []int, ns []*cnode) (*cnode, int) {
	if len(ns) < 2 {
		return nil, 0
	}
	l, g := ns[0], ns[1]
	lin, ok1 := l.impl.(*linear)
	_, ok2 := g.impl.(*gluOp)
	if !ok1 || !ok2 || lin.m%2 != 0 || !feedsOnly(uses, l, g) || len(g.out) != 1 || g.out[0] < 0 {
		return nil, 0
	}
	o := &linearGLUChain{l: lin}
	c := &cnode{name: l.name + "+" + g.name, op: l.op + "+" + g.op, in: l.in, out: g.out, impl: o}
	if len(ns) < 3 || !residualAdd(uses, g, ns[2]) {
		return c, 2
	}
	a := ns[2]
	o.add, o.resIn, o.glu0 = true, len(l.in), a.in[0] == g.out[0]
	res := a.in[1]
	if !o.glu0 {
		res = a.in[0]
	}
	c.name, c.op = c.name+"+"+a.name, c.op+"+"+a.op
	c.in = append(append([]int(nil), l.in...), res)
	c.out = a.out
	if len(ns) < 4 {
		return c, 3
	}
	n := ns[3]
	ln, ok := n.impl.(*rowOp)
	if !ok || n.op != "LayerNorm" || ln.krows == nil || len(n.in) < 1 || n.in[0] != a.out[0] || len(n.out) != 1 || n.out[0] < 0 {
		return c, 3
	}
	o.ln = ln
	o.sum = uses[a.out[0]] > 1 // another reader, or a graph output
	c.name, c.op = c.name+"+"+n.name, c.op+"+"+n.op
	c.out = []int{n.out[0], -1}
	if o.sum {
		c.out[1] = a.out[0]
	}
	return c, 4
}

// residualAdd reports whether a is an Add of the GLU g's output (read by a alone) and another
// value, with one output.
func residualAdd(uses []int, g, a *cnode) bool {
	if _, ok := a.impl.(*binaryOp); !ok || a.op != "Add" || len(a.in) != 2 || len(a.out) != 1 || a.out[0] < 0 {
		return false
	}
	v := g.out[0]
	return uses[v] == 1 && (a.in[0] == v) != (a.in[1] == v) && a.in[0] >= 0 && a.in[1] >= 0
}

// errFusedShape is returned by a fused chain's shape inference when the shapes need what only
// the unfused ops do (a broadcasting residual Add): the run then uses the unfused plan.
var errFusedShape = errors.New("shapes outside the fused chain's fast path")

// linearGLUChain is a fused Linear → GLU [→ Add [→ LayerNorm]] chain (see fuseLinearGLU).
// Inputs: the Linear's, then the residual when add. Outputs: the last op's, then (with ln)
// the sum when sum.
type linearGLUChain struct {
	l     *linear
	add   bool   // a residual Add follows the GLU
	glu0  bool   // the GLU output is the Add's first operand
	resIn int    // index of the residual among the inputs
	ln    *rowOp // a LayerNorm of the sum follows (nil: none)
	sum   bool   // with ln: the sum is an output too
}

// linearGLUSparse runs the chain with the spike-sparse product.
type linearGLUSparse linearGLUChain

func (o *linearGLUChain) infer(in [][]int) ([][]int, error) {
	y, err := o.l.infer(in)
	if err != nil {
		return nil, err
	}
	g, err := (&gluOp{}).infer(y)
	if err != nil || !o.add {
		return g, err
	}
	if !shapeEq(g[0], in[o.resIn]) {
		return nil, fmt.Errorf("residual shape %v, GLU output %v: %w", in[o.resIn], g[0], errFusedShape)
	}
	return [][]int{g[0], g[0]}, nil
}

func (o *linearGLUChain) run(x *execCtx) error {
	rows, _ := x.in[0].rowsC()
	work := rows * o.l.k * o.l.m
	if o.l.decide(x) == pathSparse {
		if x.stats != nil {
			x.stats.Path = "sparse+glu"
		}
		x.par(chunks(rows), (*linearGLUSparse)(o), work)
		return nil
	}
	if x.stats != nil {
		x.stats.Path = "dense+glu"
	}
	x.par(chunks(rows), o, work)
	return nil
}

func (o *linearGLUChain) item(x *execCtx, w, i int) { o.chunk(x, w, i, false) }

func (o *linearGLUSparse) item(x *execCtx, w, i int) { (*linearGLUChain)(o).chunk(x, w, i, true) }

// chunk computes rows chunk i: the product into scratch slot 6, then GLURows, then the
// residual addition and the LayerNorm when they are part of the chain (the same kernels, on
// the same operands in the same order, as the separate ops).
func (o *linearGLUChain) chunk(x *execCtx, w, i int, sparse bool) {
	l := o.l
	rows, _ := x.in[0].rowsC()
	lo, hi := chunkRange(i, rows)
	y := x.ws[w].f32(6, (hi-lo)*l.m)
	l.product(x, w, y, lo, hi, sparse)
	h := l.m / 2
	out := x.out[0].data[lo*h : hi*h]
	if !o.add {
		x.k.GLURows(out, y, h)
		return
	}
	s := out // the sum
	if o.ln != nil {
		if o.sum {
			s = x.out[1].data[lo*h : hi*h]
		} else {
			s = x.ws[w].f32(0, (hi-lo)*h)
		}
	}
	x.k.GLURows(s, y, h)
	res := x.in[o.resIn].data[lo*h : hi*h]
	if o.glu0 {
		x.k.Add(s, s, res)
	} else {
		x.k.Add(s, res, s)
	}
	if o.ln != nil {
		o.ln.krows(x.k, s, out, h)
	}
}
