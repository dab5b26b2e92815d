package runtime

import (
	"errors"
	"fmt"
	"math"

	"github.com/spikessm/spikessm"
)

// opImpl is a compiled op. Implementations are immutable after load.
type opImpl interface {
	// infer returns the output shapes for the given input shapes (nil = absent input).
	infer(in [][]int) ([][]int, error)
	// run executes the op on x.in / x.out / x.st.
	run(x *execCtx) error
}

// stateful ops report the sizes of their state buffers (in op order) for given inputs.
type stateful interface {
	stateSizes(in []*tval) []int
}

type opSpec struct {
	minIn, maxIn, maxOut int
	attrs                map[string]bool
	states               []string
	spikeOut             bool
	build                func(p *plan, cn *cnode, attrs map[string]any) (opImpl, error)
}

func set(names ...string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m
}

var opSpecs map[string]opSpec

func init() {
	opSpecs = map[string]opSpec{
		"Linear":          {minIn: 2, maxIn: 3, maxOut: 1, attrs: set(), build: buildLinear},
		"Embedding":       {minIn: 2, maxIn: 2, maxOut: 1, attrs: set(), build: buildEmbedding},
		"LayerNorm":       {minIn: 3, maxIn: 3, maxOut: 1, attrs: set("epsilon"), build: buildLayerNorm},
		"BatchNorm":       {minIn: 5, maxIn: 5, maxOut: 1, attrs: set("epsilon"), build: buildBatchNorm},
		"GELU":            {minIn: 1, maxIn: 1, maxOut: 1, attrs: set("approximate"), build: buildGELU},
		"GLU":             {minIn: 1, maxIn: 1, maxOut: 1, attrs: set(), build: buildGLU},
		"Add":             {minIn: 2, maxIn: 2, maxOut: 1, attrs: set(), build: buildBinary(false)},
		"Mul":             {minIn: 2, maxIn: 2, maxOut: 1, attrs: set(), build: buildBinary(true)},
		"MeanPool":        {minIn: 1, maxIn: 1, maxOut: 1, attrs: set(), states: []string{"sum", "count"}, build: buildMeanPool},
		"LastStep":        {minIn: 1, maxIn: 1, maxOut: 1, attrs: set(), build: buildLastStep},
		"S4D":             {minIn: 7, maxIn: 10, maxOut: 1, attrs: set("bidirectional"), states: []string{"x_re", "x_im"}, build: buildS4D},
		"Heaviside":       {minIn: 1, maxIn: 1, maxOut: 1, attrs: set("threshold"), spikeOut: true, build: buildHeaviside},
		"ThresholdScale":  {minIn: 2, maxIn: 2, maxOut: 1, attrs: set(), build: buildThresholdScale},
		"SDNNeuron":       {minIn: 7, maxIn: 7, maxOut: 2, attrs: set("threshold"), states: []string{"history"}, spikeOut: true, build: buildSDN},
		"SpikingNeuron":   {minIn: 3, maxIn: 5, maxOut: 2, attrs: set("reset", "compare", "solver"), states: []string{"m", "s", "r"}, spikeOut: true, build: buildSpikingNeuron},
		"LeakyIntegrator": {minIn: 3, maxIn: 4, maxOut: 1, attrs: set(), states: []string{"v"}, build: buildLeakyIntegrator},
		"CubaLIF":         {minIn: 8, maxIn: 9, maxOut: 2, attrs: set("reset", "compare"), states: []string{"i", "v", "s"}, spikeOut: true, build: buildCubaLIF},
		"Softmax":         {minIn: 1, maxIn: 1, maxOut: 1, attrs: set(), build: buildSoftmax},
		"ArgMax":          {minIn: 1, maxIn: 1, maxOut: 1, attrs: set(), build: buildArgMax},
	}
}

// ---- attribute and constant helpers ----

func attrFloat(a map[string]any, name string, def float64) (float64, error) {
	v, ok := a[name]
	if !ok {
		return def, nil
	}
	switch t := v.(type) {
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return 0, fmt.Errorf("attribute %q is %v", name, t)
		}
		return t, nil
	case float32:
		return float64(t), nil
	case int64:
		return float64(t), nil
	}
	return 0, fmt.Errorf("attribute %q has type %T, want float", name, v)
}

func attrInt(a map[string]any, name string, def int64) (int64, error) {
	v, ok := a[name]
	if !ok {
		return def, nil
	}
	if t, ok := v.(int64); ok {
		return t, nil
	}
	return 0, fmt.Errorf("attribute %q has type %T, want int", name, v)
}

func attrString(a map[string]any, name, def string, allowed ...string) (string, error) {
	v, ok := a[name]
	if !ok {
		return def, nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("attribute %q has type %T, want string", name, v)
	}
	for _, al := range allowed {
		if s == al {
			return s, nil
		}
	}
	return "", fmt.Errorf("attribute %q = %q, want one of %v", name, s, allowed)
}

// cst returns the data of constant input i of a node, checking its shape (-1 = any).
func cst(p *plan, cn *cnode, i int, what string, shape ...int) ([]float32, []int, error) {
	if i >= len(cn.in) || cn.in[i] < 0 {
		return nil, nil, nil
	}
	v := p.values[cn.in[i]]
	if !v.isConst {
		return nil, nil, fmt.Errorf("input %d (%s, %q) must be an initializer", i, what, v.name)
	}
	if shape != nil {
		ok := len(v.cshape) == len(shape)
		for j := 0; ok && j < len(shape); j++ {
			if shape[j] >= 0 && v.cshape[j] != shape[j] {
				ok = false
			}
		}
		if !ok {
			return nil, nil, fmt.Errorf("%s %q has shape %v, want %v (-1 = any)", what, v.name, v.cshape, shape)
		}
	}
	for _, f := range v.cdata {
		if f != f || math.IsInf(float64(f), 0) {
			return nil, nil, fmt.Errorf("%s %q contains %v", what, v.name, f)
		}
	}
	return v.cdata, v.cshape, nil
}

// perChannel reads an optional per-channel constant (C); nil when absent.
func perChannel(p *plan, cn *cnode, i int, what string, c int) ([]float32, error) {
	d, _, err := cst(p, cn, i, what, c)
	return d, err
}

func isSpike(p *plan, cn *cnode, i int) bool {
	return i < len(cn.in) && cn.in[i] >= 0 && p.values[cn.in[i]].spike
}

// seqShape checks an activation input shape (B, L, C) in sequence mode or (B, C) in step
// mode and returns B, T, C.
func seqShape(step bool, s []int) (int, int, int, error) {
	if step {
		if len(s) != 2 {
			return 0, 0, 0, fmt.Errorf("step input has shape %v, want (B, C)", s)
		}
		return s[0], 1, s[1], nil
	}
	if len(s) != 3 {
		return 0, 0, 0, fmt.Errorf("input has shape %v, want (B, L, C)", s)
	}
	return s[0], s[1], s[2], nil
}

func (x *execCtx) btc(t *tval) (int, int, int) {
	if x.step {
		return t.shape[0], 1, t.shape[1]
	}
	return t.shape[0], t.shape[1], t.shape[2]
}

func lastDim(s []int) (int, error) {
	if len(s) == 0 {
		return 0, errors.New("scalar input, want (…, C)")
	}
	return s[len(s)-1], nil
}

func withLast(s []int, c int) []int {
	o := append([]int(nil), s...)
	o[len(o)-1] = c
	return o
}

// ---- row-wise elementwise ops ----

// rowOp is an op computing each row of (…, C) independently.
type rowOp struct {
	c     int // required last dimension when fixed
	fixed bool
	// flat, when set, is an elementwise op run over whole chunks instead of fn per row.
	flat func(in, out []float32)
	// gelu runs the exact-erf GELU kernel of the execution's kernel table over whole chunks.
	gelu bool
	// rows, when set, computes whole chunks of rows (same-width input and output) at once.
	rows func(in, out []float32, c int)
	// krows is rows with the execution's kernel table.
	krows func(k *spikessm.Kernels, in, out []float32, c int)
	outC  func(c int) int
	fn    func(x *execCtx, w int, in, out []float32, c int)
}

func (o *rowOp) infer(in [][]int) ([][]int, error) {
	c, err := lastDim(in[0])
	if err != nil {
		return nil, err
	}
	if o.fixed && c != o.c {
		return nil, fmt.Errorf("input has %d channels (shape %v), the parameters have %d", c, in[0], o.c)
	}
	oc := c
	if o.outC != nil {
		oc = o.outC(c)
		if oc < 0 {
			return nil, fmt.Errorf("input shape %v not supported", in[0])
		}
	}
	return [][]int{withLast(in[0], oc)}, nil
}

func (o *rowOp) run(x *execCtx) error {
	rows, _ := x.in[0].rowsC()
	x.par(chunks(rows), o, 64*len(x.in[0].data))
	return nil
}

func (o *rowOp) item(x *execCtx, w, i int) {
	rows, c := x.in[0].rowsC()
	_, oc := x.out[0].rowsC()
	lo, hi := chunkRange(i, rows)
	if o.gelu {
		x.k.GELU(x.out[0].data[lo*oc:hi*oc], x.in[0].data[lo*c:hi*c])
		return
	}
	if o.flat != nil {
		o.flat(x.in[0].data[lo*c:hi*c], x.out[0].data[lo*oc:hi*oc])
		return
	}
	if o.rows != nil {
		o.rows(x.in[0].data[lo*c:hi*c], x.out[0].data[lo*oc:hi*oc], c)
		return
	}
	if o.krows != nil {
		o.krows(x.k, x.in[0].data[lo*c:hi*c], x.out[0].data[lo*oc:hi*oc], c)
		return
	}
	for r := lo; r < hi; r++ {
		o.fn(x, w, x.in[0].data[r*c:(r+1)*c], x.out[0].data[r*oc:(r+1)*oc], c)
	}
}

func buildLayerNorm(p *plan, cn *cnode, a map[string]any) (opImpl, error) {
	eps, err := attrFloat(a, "epsilon", 1e-5)
	if err != nil {
		return nil, err
	}
	g, gs, err := cst(p, cn, 1, "gamma", -1)
	if err != nil {
		return nil, err
	}
	b, _, err := cst(p, cn, 2, "beta", gs[0])
	if err != nil {
		return nil, err
	}
	c := gs[0]
	return &rowOp{c: c, fixed: true, krows: func(k *spikessm.Kernels, in, out []float32, c int) {
		if lnKernel(k) {
			k.LayerNorm(out, in, g, b, c, eps)
			return
		}
		layerNormRows(in, out, g, b, c, eps)
	}}, nil
}

// lnKernel reports whether LayerNorm runs Kernels.LayerNorm: with the AVX-512 and AVX2
// tables (assembly, 3–5× faster than layerNormRows at 32 channels). The generic kernel
// (16 lane sums) is ~1.4× slower than layerNormRows at 32 channels, so the generic and NEON
// tables (NEON has no LayerNorm assembly yet) keep layerNormRows. Either way the choice
// depends only on the table, so a fixed variant gives the same bits for a row wherever it
// is, in step and sequence mode; across variants results differ by rounding only (both
// compute the float32 mean and biased variance with float64 square root).
func lnKernel(k *spikessm.Kernels) bool {
	return k.Name == spikessm.VariantAVX512 || k.Name == spikessm.VariantAVX2
}

// layerNormRows normalises the rows of in (width c) in groups of eight, one pass at a time
// over the group (all means, then all scales, then the outputs): the rows' dependency chains
// (sum → mean → squares → scale) then overlap instead of running back to back. Each row's
// arithmetic is that of layerNormRow whatever the grouping.
func layerNormRows(in, out, g, b []float32, c int, eps float64) {
	const grp = 8
	var mean, inv [grp]float32
	rows := len(in) / c
	for r0 := 0; r0 < rows; r0 += grp {
		n := min(grp, rows-r0)
		blk := in[r0*c : (r0+n)*c]
		for k := 0; k < n; k++ {
			mean[k] = lnMean(blk[k*c : (k+1)*c])
		}
		for k := 0; k < n; k++ {
			inv[k] = lnScale(blk[k*c:(k+1)*c], mean[k], eps)
		}
		for k := 0; k < n; k++ {
			lnApply(blk[k*c:(k+1)*c], out[(r0+k)*c:(r0+k+1)*c], g, b, mean[k], inv[k])
		}
	}
}

// layerNormRow normalises one row in float32 (as PyTorch does) with four independent partial
// sums per pass (one running sum is bound by the add latency, four keep the adder busy); only
// the square root is taken in float64. The summation order depends only on the row length, so
// every row gives the same bits wherever it is.
func layerNormRow(in, out, g, b []float32, eps float64) {
	mean := lnMean(in)
	lnApply(in, out, g, b, mean, lnScale(in, mean, eps))
}

// lnMean is the row mean, from four partial sums.
func lnMean(in []float32) float32 {
	c := len(in)
	var s0, s1, s2, s3 float32
	j := 0
	for ; j+4 <= c; j += 4 {
		v := in[j : j+4 : j+4]
		s0 += v[0]
		s1 += v[1]
		s2 += v[2]
		s3 += v[3]
	}
	for ; j < c; j++ {
		s0 += in[j]
	}
	return ((s0 + s1) + (s2 + s3)) / float32(c)
}

// lnScale is 1/sqrt(var + eps) of a row with the given mean (biased variance, four partial
// sums; the square root in float64).
func lnScale(in []float32, mean float32, eps float64) float32 {
	c := len(in)
	var q0, q1, q2, q3 float32
	j := 0
	for ; j+4 <= c; j += 4 {
		v := in[j : j+4 : j+4]
		d0 := v[0] - mean
		d1 := v[1] - mean
		d2 := v[2] - mean
		d3 := v[3] - mean
		q0 += d0 * d0
		q1 += d1 * d1
		q2 += d2 * d2
		q3 += d3 * d3
	}
	for ; j < c; j++ {
		d := in[j] - mean
		q0 += d * d
	}
	return float32(1 / math.Sqrt(float64(((q0+q1)+(q2+q3))/float32(c))+eps))
}

// lnApply writes (x − mean)·inv·gamma + beta.
func lnApply(in, out, g, b []float32, mean, inv float32) {
	c := len(in)
	out, g, b = out[:c], g[:c], b[:c]
	j := 0
	for ; j+4 <= c; j += 4 {
		o, v, gg, bb := out[j:j+4:j+4], in[j:j+4:j+4], g[j:j+4:j+4], b[j:j+4:j+4]
		o[0] = (v[0]-mean)*inv*gg[0] + bb[0]
		o[1] = (v[1]-mean)*inv*gg[1] + bb[1]
		o[2] = (v[2]-mean)*inv*gg[2] + bb[2]
		o[3] = (v[3]-mean)*inv*gg[3] + bb[3]
	}
	for ; j < c; j++ {
		out[j] = (in[j]-mean)*inv*g[j] + b[j]
	}
}

func buildBatchNorm(p *plan, cn *cnode, a map[string]any) (opImpl, error) {
	eps, err := attrFloat(a, "epsilon", 1e-5)
	if err != nil {
		return nil, err
	}
	g, gs, err := cst(p, cn, 1, "gamma", -1)
	if err != nil {
		return nil, err
	}
	c := gs[0]
	b, _, err := cst(p, cn, 2, "beta", c)
	if err != nil {
		return nil, err
	}
	mu, _, err := cst(p, cn, 3, "mean", c)
	if err != nil {
		return nil, err
	}
	va, _, err := cst(p, cn, 4, "var", c)
	if err != nil {
		return nil, err
	}
	scale := make([]float32, c)
	shift := make([]float32, c)
	for j := 0; j < c; j++ {
		if float64(va[j])+eps <= 0 {
			return nil, fmt.Errorf("channel %d: var + epsilon = %v is not positive", j, float64(va[j])+eps)
		}
		s := float64(g[j]) / math.Sqrt(float64(va[j])+eps)
		scale[j] = float32(s)
		shift[j] = float32(float64(b[j]) - float64(mu[j])*s)
	}
	return &rowOp{c: c, fixed: true, fn: func(_ *execCtx, _ int, in, out []float32, _ int) {
		for j, v := range in {
			out[j] = v*scale[j] + shift[j]
		}
	}}, nil
}

func buildGELU(p *plan, cn *cnode, a map[string]any) (opImpl, error) {
	mode, err := attrString(a, "approximate", "none", "none", "tanh")
	if err != nil {
		return nil, err
	}
	if mode == "tanh" {
		return &rowOp{flat: geluTanh}, nil
	}
	// Kernels.GELU: a piecewise degree-5 polynomial with exact float32 FMAs (max error 1.21e-7
	// against float64 erf), bit-identical across kernel variants and architectures.
	return &rowOp{gelu: true}, nil
}

func geluTanh(in, out []float32) {
	out = out[:len(in)]
	for j, v := range in {
		f := float64(v)
		out[j] = float32(0.5 * f * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(f+0.044715*f*f*f))))
	}
}

func buildGLU(p *plan, cn *cnode, a map[string]any) (opImpl, error) {
	return &gluOp{}, nil
}

// gluOp computes a ⊙ sigmoid(b) over each row's two halves with one Kernels.GLURows call
// per chunk of rows. Each element's result depends only on its own a and b (a fixed kernel
// variant gives an element the same bits wherever it sits), so results are bit-identical
// across batch positions, chunkings and step/sequence.
type gluOp struct{}

func (o *gluOp) infer(in [][]int) ([][]int, error) {
	c, err := lastDim(in[0])
	if err != nil {
		return nil, err
	}
	if c%2 != 0 {
		return nil, fmt.Errorf("input has %d channels (shape %v); GLU needs an even count", c, in[0])
	}
	return [][]int{withLast(in[0], c/2)}, nil
}

func (o *gluOp) run(x *execCtx) error {
	rows, _ := x.in[0].rowsC()
	x.par(chunks(rows), o, 16*len(x.in[0].data))
	return nil
}

func (o *gluOp) item(x *execCtx, w, i int) {
	rows, c := x.in[0].rowsC()
	h := c / 2
	lo, hi := chunkRange(i, rows)
	// One call for the chunk, the same bits as one GLU call per row.
	x.k.GLURows(x.out[0].data[lo*h:hi*h], x.in[0].data[lo*c:hi*c], h)
}

func buildHeaviside(p *plan, cn *cnode, a map[string]any) (opImpl, error) {
	th, err := attrFloat(a, "threshold", 0)
	if err != nil {
		return nil, err
	}
	t := float32(th)
	return &heavisideOp{rowOp: rowOp{flat: func(in, out []float32) { spikessm.Heaviside(out, in, t) }}, t: t}, nil
}

// heavisideOp is the Heaviside op (a row op), which a fused S4D → Heaviside chain
// (fuse.go) applies to its tiles instead.
type heavisideOp struct {
	rowOp
	t float32
}

func buildThresholdScale(p *plan, cn *cnode, a map[string]any) (opImpl, error) {
	l, ls, err := cst(p, cn, 1, "ln_vth", -1)
	if err != nil {
		return nil, err
	}
	if len(ls) == 2 && ls[1] == 1 {
		ls = ls[:1] // SpikingSSMs stores ln_vth as (H, 1)
	}
	if len(ls) != 1 {
		return nil, fmt.Errorf("ln_vth has shape %v, want (C)", ls)
	}
	vth := make([]float32, len(l))
	for j, v := range l {
		vth[j] = float32(math.Exp(float64(v)))
	}
	return &thresholdScale{rowOp: rowOp{c: ls[0], fixed: true, rows: func(in, out []float32, c int) {
		spikessm.DivChannels(out, in, vth, c) // y / exp(ln_vth), IEEE division as PyTorch
	}}, vth: vth}, nil
}

// thresholdScale is the ThresholdScale op: a row op dividing by vth (C), which a fused
// S4D → ThresholdScale → SDNNeuron chain (fuse.go) applies to its tiles instead.
type thresholdScale struct {
	rowOp
	vth []float32
}

func buildSoftmax(p *plan, cn *cnode, a map[string]any) (opImpl, error) {
	return &rowOp{fn: func(_ *execCtx, _ int, in, out []float32, _ int) {
		mx := in[0]
		for _, v := range in {
			if v > mx {
				mx = v
			}
		}
		var s float32
		for j, v := range in {
			e := float32(math.Exp(float64(v - mx)))
			out[j] = e
			s += e
		}
		for j := range out {
			out[j] /= s
		}
	}}, nil
}

type argMax struct{}

func buildArgMax(p *plan, cn *cnode, a map[string]any) (opImpl, error) { return argMax{}, nil }

func (argMax) infer(in [][]int) ([][]int, error) {
	if len(in[0]) == 0 {
		return nil, errors.New("scalar input")
	}
	if in[0][len(in[0])-1] == 0 {
		return nil, errors.New("empty last axis")
	}
	return [][]int{append([]int(nil), in[0][:len(in[0])-1]...)}, nil
}

func (argMax) run(x *execCtx) error {
	rows, c := x.in[0].rowsC()
	for r := 0; r < rows; r++ {
		row := x.in[0].data[r*c : (r+1)*c]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		x.out[0].data[r] = float32(best)
	}
	return nil
}

// ---- Add, Mul ----

type binaryOp struct{ mul bool }

const binarySpan = 4096

func buildBinary(mul bool) func(p *plan, cn *cnode, a map[string]any) (opImpl, error) {
	return func(p *plan, cn *cnode, a map[string]any) (opImpl, error) { return &binaryOp{mul: mul}, nil }
}

func trimOnes(s []int) []int {
	for len(s) > 0 && s[0] == 1 {
		s = s[1:]
	}
	return s
}

func isSuffix(small, big []int) bool {
	small = trimOnes(small)
	if len(small) > len(big) {
		return false
	}
	off := len(big) - len(small)
	for i := range small {
		if small[i] != big[off+i] {
			return false
		}
	}
	return true
}

func (o *binaryOp) infer(in [][]int) ([][]int, error) {
	a, b := in[0], in[1]
	if shapeEq(a, b) {
		return [][]int{a}, nil
	}
	if numel(a) >= numel(b) && isSuffix(b, a) {
		return [][]int{a}, nil
	}
	if isSuffix(a, b) {
		return [][]int{b}, nil
	}
	return nil, fmt.Errorf("cannot broadcast %v with %v (supported: equal shapes, or one shape a trailing part of the other)", a, b)
}

func (o *binaryOp) run(x *execCtx) error {
	x.par((len(x.out[0].data)+binarySpan-1)/binarySpan, o, 16*len(x.out[0].data))
	return nil
}

func (o *binaryOp) item(x *execCtx, _ int, i int) {
	out := x.out[0].data
	a, b := x.in[0].data, x.in[1].data
	lo := i * binarySpan
	hi := min(lo+binarySpan, len(out))
	if len(a) == len(out) && len(b) == len(out) {
		a, b, out = a[lo:hi], b[lo:hi], out[lo:hi]
		if o.mul {
			mulF32(out, a, b)
		} else {
			x.k.Add(out, a, b) // the same single addition per element in every variant
		}
		return
	}
	na, nb := len(a), len(b)
	for j := lo; j < hi; j++ {
		av, bv := a[j%na], b[j%nb]
		if o.mul {
			out[j] = av * bv
		} else {
			out[j] = av + bv
		}
	}
}

// mulF32 sets out[j] = a[j] · b[j], four elements per iteration without bounds checks.
func mulF32(out, a, b []float32) {
	n := len(out)
	a, b = a[:n], b[:n]
	j := 0
	for ; j+4 <= n; j += 4 {
		o, x, y := out[j:j+4:j+4], a[j:j+4:j+4], b[j:j+4:j+4]
		o[0] = x[0] * y[0]
		o[1] = x[1] * y[1]
		o[2] = x[2] * y[2]
		o[3] = x[3] * y[3]
	}
	for ; j < n; j++ {
		out[j] = a[j] * b[j]
	}
}

// ---- Linear ----

type linear struct {
	k, m     int
	wt, bias []float32
	// wtPad and biasPad are wt and bias with the columns padded with zeros to mp, a multiple
	// of Lanes, when m is not one: the dense path computes whole vector columns (the
	// assembly Gemm handles only whole vectors; a scalar tail cost more than the padding).
	mp             int
	wtPad, biasPad []float32
	zeroBias       []float32 // m zeros when bias is nil (the sparse path starts from it)
	spikeIn        bool
	// set at load by calibration
	sparseOK bool    // sparse and dense give bit-identical results with these kernels
	cross    float64 // firing rate below which the sparse path is faster
}

func buildLinear(p *plan, cn *cnode, a map[string]any) (opImpl, error) {
	w, ws, err := cst(p, cn, 1, "W", -1, -1)
	if err != nil {
		if w2, ws2, err2 := cst(p, cn, 1, "W", -1, -1, 1); err2 == nil {
			w, ws, err = w2, ws2[:2], nil
		}
	}
	if err != nil {
		return nil, err
	}
	m, k := ws[0], ws[1]
	if m == 0 || k == 0 {
		return nil, fmt.Errorf("W has shape %v", ws)
	}
	bias, err := perChannel(p, cn, 2, "bias", m)
	if err != nil {
		return nil, err
	}
	wt := make([]float32, k*m)
	for i := 0; i < m; i++ {
		for j := 0; j < k; j++ {
			wt[j*m+i] = w[i*k+j]
		}
	}
	l := &linear{k: k, m: m, wt: wt, bias: bias, spikeIn: isSpike(p, cn, 0), cross: -1}
	if bias == nil {
		l.zeroBias = make([]float32, m)
	}
	if m%lanes != 0 {
		l.mp = (m + lanes - 1) / lanes * lanes
		l.wtPad = make([]float32, k*l.mp)
		for j := 0; j < k; j++ {
			copy(l.wtPad[j*l.mp:j*l.mp+m], wt[j*m:(j+1)*m])
		}
		l.biasPad = make([]float32, l.mp)
		copy(l.biasPad, bias) // nil bias: zeros
	}
	return l, nil
}

func (l *linear) infer(in [][]int) ([][]int, error) {
	c, err := lastDim(in[0])
	if err != nil {
		return nil, err
	}
	if c != l.k {
		return nil, fmt.Errorf("input has %d features (shape %v), W wants %d", c, in[0], l.k)
	}
	return [][]int{withLast(in[0], l.m)}, nil
}

const (
	pathDense = iota
	pathSparse
)

func (l *linear) run(x *execCtx) error {
	rows, _ := x.in[0].rowsC()
	work := rows * l.k * l.m
	if l.decide(x) == pathSparse {
		x.par(chunks(rows), (*linearSparse)(l), work)
	} else {
		x.par(chunks(rows), l, work)
	}
	return nil
}

// decide picks the dense or the sparse path for this run's input and fills the statistics.
func (l *linear) decide(x *execCtx) int {
	rows, _ := x.in[0].rowsC()
	path := pathDense
	// The firing rate decides the path only when the sparse path is valid and can win; without
	// statistics it is counted only up to the crossover.
	if l.spikeIn && (x.stats != nil || (l.sparseOK && l.cross > 0)) {
		n := rows * l.k
		limit := n + 1
		if x.stats == nil {
			// +1: above cross·n even if the product rounded down, so stopping at the limit
			// decides as the full count would.
			limit = int(math.Ceil(l.cross*float64(n))) + 1
		}
		ones := countNonzeroUpTo(x.in[0].data, limit)
		rate := float64(ones) / float64(max(1, n))
		if l.sparseOK && rate < l.cross {
			path = pathSparse
		}
		if x.stats != nil {
			x.stats.InputSpikeRate = rate
			x.stats.SynOps = int64(ones) * int64(l.m)
		}
	}
	if x.stats != nil {
		x.stats.DenseMACs = int64(rows) * int64(l.k) * int64(l.m)
		if !l.spikeIn {
			x.stats.SynOps = x.stats.DenseMACs
		}
		x.stats.Path = [...]string{"dense", "sparse"}[path]
	}
	return path
}

// countNonzeroUpTo counts the non-zero values (spikessm.CountNonzero) but may stop, in steps of
// 4096 values, once the count reaches limit (it then returns a count ≥ limit).
func countNonzeroUpTo(d []float32, limit int) int {
	n := 0
	for len(d) > 0 && n < limit {
		k := min(len(d), 4096)
		n += spikessm.CountNonzero(d[:k])
		d = d[k:]
	}
	return n
}

func (l *linear) item(x *execCtx, w int, i int) {
	rows, _ := x.in[0].rowsC()
	lo, hi := chunkRange(i, rows)
	l.product(x, w, x.out[0].data[lo*l.m:hi*l.m], lo, hi, false)
}

type linearSparse linear

// item accumulates the weight rows of the chunk's spikes onto the bias.
func (ls *linearSparse) item(x *execCtx, w int, i int) {
	l := (*linear)(ls)
	rows, _ := x.in[0].rowsC()
	lo, hi := chunkRange(i, rows)
	l.product(x, w, x.out[0].data[lo*l.m:hi*l.m], lo, hi, true)
}

// product writes rows lo..hi of the layer's output into y: bias plus the dense product
// (GemmBias; with zero-padded columns when the width is not a whole number of vectors, via
// scratch slot 7 of worker w) or, with sparse, the spike-sparse sum (SpikeGemmBias).
func (l *linear) product(x *execCtx, w int, y []float32, lo, hi int, sparse bool) {
	n := hi - lo
	in := x.in[0].data[lo*l.k : hi*l.k]
	switch {
	case sparse:
		x.k.SpikeGemmBias(y, in, l.wt, l.biasOrZero(), n, l.k, l.m)
	case l.wtPad != nil:
		yp := x.ws[w].f32(7, n*l.mp)
		x.k.GemmBias(yp, in, l.wtPad, l.biasPad, n, l.k, l.mp)
		for r := 0; r < n; r++ {
			copy(y[r*l.m:(r+1)*l.m], yp[r*l.mp:r*l.mp+l.m])
		}
	default:
		x.k.GemmBias(y, in, l.wt, l.biasOrZero(), n, l.k, l.m) // zero bias: the same bits as clear + Gemm
	}
}

// biasOrZero is the bias, or zeros when the layer has none.
func (l *linear) biasOrZero() []float32 {
	if l.bias != nil {
		return l.bias
	}
	return l.zeroBias
}

// ---- Embedding ----

type embedding struct {
	v, c  int
	table []float32
	name  string
}

func buildEmbedding(p *plan, cn *cnode, a map[string]any) (opImpl, error) {
	t, ts, err := cst(p, cn, 1, "table", -1, -1)
	if err != nil {
		return nil, err
	}
	return &embedding{v: ts[0], c: ts[1], table: t, name: cn.name}, nil
}

func (e *embedding) infer(in [][]int) ([][]int, error) {
	return [][]int{append(append([]int(nil), in[0]...), e.c)}, nil
}

func (e *embedding) run(x *execCtx) error {
	n := len(x.in[0].data)
	for i, id := range x.in[0].data {
		if id != float32(math.Trunc(float64(id))) || id < 0 || int(id) >= e.v {
			return fmt.Errorf("id %v at flat index %d is not an integer in [0, %d)", id, i, e.v)
		}
	}
	out := x.out[0].data
	for i := 0; i < n; i++ {
		id := int(x.in[0].data[i])
		copy(out[i*e.c:(i+1)*e.c], e.table[id*e.c:(id+1)*e.c])
	}
	return nil
}

// ---- MeanPool, LastStep ----

type meanPool struct{ step bool }

func buildMeanPool(p *plan, cn *cnode, a map[string]any) (opImpl, error) {
	return &meanPool{step: p.stepMode}, nil
}

func (o *meanPool) infer(in [][]int) ([][]int, error) {
	b, t, c, err := seqShape(o.step, in[0])
	if err != nil {
		return nil, err
	}
	if t == 0 {
		return nil, errors.New("empty sequence")
	}
	return [][]int{{b, c}}, nil
}

func (o *meanPool) stateSizes(in []*tval) []int {
	s := in[0].shape
	return []int{s[0] * s[len(s)-1], s[0]}
}

func (o *meanPool) run(x *execCtx) error {
	b, _, _ := x.btc(x.in[0])
	x.par(b, o, 16*len(x.in[0].data))
	return nil
}

func (o *meanPool) item(x *execCtx, _ int, b int) {
	_, t, c := x.btc(x.in[0])
	sum := x.st[0][b*c : (b+1)*c]
	in := x.in[0].data[b*t*c : (b+1)*t*c]
	if c > 0 {
		spikessm.SumRows(sum, in, c) // one float32 addition per element in time order, every variant
	}
	x.st[1][b] += float32(t)
	cnt := x.st[1][b]
	out := x.out[0].data[b*c : (b+1)*c]
	for j := range out {
		out[j] = sum[j] / cnt
	}
}

type lastStep struct{ step bool }

func buildLastStep(p *plan, cn *cnode, a map[string]any) (opImpl, error) {
	return &lastStep{step: p.stepMode}, nil
}

func (o *lastStep) infer(in [][]int) ([][]int, error) {
	b, t, c, err := seqShape(o.step, in[0])
	if err != nil {
		return nil, err
	}
	if t == 0 {
		return nil, errors.New("empty sequence")
	}
	return [][]int{{b, c}}, nil
}

func (o *lastStep) run(x *execCtx) error {
	b, t, c := x.btc(x.in[0])
	for i := 0; i < b; i++ {
		copy(x.out[0].data[i*c:(i+1)*c], x.in[0].data[(i*t+t-1)*c:(i*t+t)*c])
	}
	return nil
}
