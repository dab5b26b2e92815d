package format

import (
	"fmt"
	"strings"
)

// Static shape inference over a graph with symbolic dimensions. Only fixed sizes are
// compared: a symbolic or unknown dimension matches anything.

// value is what the validator knows about a named value of a graph.
type value struct {
	known  bool // rank and dims known
	dims   []Dim
	dtype  DType // 0: unknown
	timed  bool  // a per-time-step activation (has the time axis in `sequence`)
	tensor *Tensor
	opaque bool // produced by an unknown op or dangling: nothing can be checked
}

func unknownDim() Dim { return Dim{Value: -1} }

func isFixed(d Dim) bool { return d.Symbol == "" && d.Value >= 0 }

func dimsString(dims []Dim) string {
	parts := make([]string, len(dims))
	for i, d := range dims {
		if d.Symbol == "" && d.Value < 0 {
			parts[i] = "?"
		} else {
			parts[i] = d.String()
		}
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func (v *value) shapeString() string {
	if v == nil || !v.known {
		return "unknown shape"
	}
	return dimsString(v.dims)
}

func (v *value) last() Dim {
	if v == nil || !v.known || len(v.dims) == 0 {
		return unknownDim()
	}
	return v.dims[len(v.dims)-1]
}

// unify returns the more informative of two compatible dims and whether they are compatible.
func unify(a, b Dim) (Dim, bool) {
	if isFixed(a) && isFixed(b) {
		return a, a.Value == b.Value
	}
	if isFixed(a) {
		return a, true
	}
	if isFixed(b) {
		return b, true
	}
	if a.Symbol != "" {
		return a, true
	}
	return b, true
}

type inferFunc func(c *inferCtx) []value
type checkFunc func(c *inferCtx)

// inferCtx is the state of one node's inference and checks.
type inferCtx struct {
	v     *validator
	graph string
	node  *Node
	spec  *OpSpec
	step  bool
	in    []*value // regular inputs; nil when absent
	state [][]Dim  // state shapes, set by stateShapes
}

func (c *inferCtx) where() string {
	return fmt.Sprintf("graph %q node %q (%s)", c.graph, c.node.Name, c.node.Op)
}

func (c *inferCtx) inName(i int) string {
	name := c.spec.Inputs[i].Name
	if n := c.node.Input(i); n != "" {
		return name + " " + quote(n)
	}
	return name
}

func (c *inferCtx) shapeErr(i int, expected, actual string) {
	e := &ShapeError{Graph: c.graph, Node: c.node.Name, Name: c.node.Input(i), Expected: expected, Actual: actual}
	c.v.add(Problem{Kind: ProblemShape, Where: c.where(), Msg: fmt.Sprintf("input %s: expected %s, got %s", c.inName(i), expected, actual), Err: e})
}

// rank checks input i has rank r (if known) and reports whether its dims can be used.
func (c *inferCtx) rank(i, r int) bool {
	x := c.in[i]
	if x == nil || !x.known {
		return false
	}
	if len(x.dims) != r {
		c.shapeErr(i, fmt.Sprintf("rank %d", r), fmt.Sprintf("rank %d %s", len(x.dims), dimsString(x.dims)))
		return false
	}
	return true
}

// dim checks axis of input i against want and returns the unified dim.
func (c *inferCtx) dim(i, axis int, want Dim, label string) Dim {
	x := c.in[i]
	if x == nil || !x.known || axis >= len(x.dims) {
		return want
	}
	got := x.dims[axis]
	d, ok := unify(got, want)
	if !ok {
		c.shapeErr(i, fmt.Sprintf("%s = %s along axis %d", label, want, axis), fmt.Sprintf("%s (shape %s)", got, dimsString(x.dims)))
	}
	return d
}

// vec checks an optional/required per-channel input i is (C).
func (c *inferCtx) vec(i int, C Dim, label string) Dim {
	if c.rank(i, 1) {
		return c.dim(i, 0, C, label)
	}
	return C
}

// mat checks input i is (r, k).
func (c *inferCtx) mat(i int, r, k Dim, rl, kl string) (Dim, Dim) {
	if c.rank(i, 2) {
		r = c.dim(i, 0, r, rl)
		k = c.dim(i, 1, k, kl)
	}
	return r, k
}

// activation checks input i is a per-step activation: (B, L, C) in `sequence`, (B, C)
// in `step`, and returns (B, C).
func (c *inferCtx) activation(i int) (Dim, Dim) {
	x := c.in[i]
	if x == nil || x.opaque {
		return unknownDim(), unknownDim()
	}
	if x.tensor != nil || !x.timed {
		want := "a sequence (B, L, C)"
		if c.step {
			want = "a per-step activation (B, C)"
		}
		got := "a pooled or constant value " + x.shapeString()
		if x.tensor != nil {
			got = "initializer " + x.shapeString()
		}
		c.shapeErr(i, want, got)
		return unknownDim(), unknownDim()
	}
	r := 3
	if c.step {
		r = 2
	}
	if !c.rank(i, r) {
		return unknownDim(), unknownDim()
	}
	return x.dims[0], x.dims[r-1]
}

func (c *inferCtx) out(like *value, dims []Dim, known bool) value {
	o := value{known: known, dims: dims, dtype: F32}
	for _, x := range c.in {
		if x != nil && (x.timed || x.opaque) {
			o.timed = true
		}
	}
	_ = like
	return o
}

func withLast(dims []Dim, d Dim) []Dim {
	out := append([]Dim(nil), dims...)
	out[len(out)-1] = d
	return out
}

// inferPerChannel: X (…, C) plus per-channel (C) parameters; outputs like X.
func inferPerChannel(c *inferCtx) []value {
	x := c.in[0]
	var C Dim
	if c.spec.Temporal {
		_, C = c.activation(0)
	} else {
		C = x.last()
		if x != nil && x.known && len(x.dims) == 0 {
			c.shapeErr(0, "rank ≥ 1", "a scalar")
		}
	}
	for i := 1; i < len(c.in); i++ {
		if c.in[i] != nil {
			C = c.vec(i, C, "C")
		}
	}
	outs := make([]value, len(c.spec.Outputs))
	for i := range outs {
		if x != nil && x.known && len(x.dims) > 0 {
			outs[i] = c.out(x, withLast(x.dims, C), true)
		} else {
			outs[i] = c.out(x, nil, false)
		}
	}
	c.stateShapes(C, unknownDim())
	return outs
}

func inferLinear(c *inferCtx) []value {
	x := c.in[0]
	K := x.last()
	if x != nil && x.known && len(x.dims) == 0 {
		c.shapeErr(0, "rank ≥ 1", "a scalar")
	}
	M, K := c.mat(1, unknownDim(), K, "M", "K (last dim of X)")
	if c.in[2] != nil {
		M = c.vec(2, M, "M (rows of W)")
	}
	if x != nil && x.known && len(x.dims) > 0 {
		return []value{c.out(x, withLast(x.dims, M), true)}
	}
	return []value{c.out(x, nil, false)}
}

func inferEmbedding(c *inferCtx) []value {
	ids := c.in[0]
	if ids != nil && ids.dtype != 0 && ids.dtype != I32 && ids.dtype != I64 {
		c.shapeErr(0, "dtype i32 or i64", "dtype "+ids.dtype.String())
	}
	_, C := c.mat(1, unknownDim(), unknownDim(), "V", "C")
	o := value{dtype: F32, timed: ids != nil && ids.timed}
	if ids != nil && ids.known {
		o.known = true
		o.dims = append(append([]Dim(nil), ids.dims...), C)
	}
	return []value{o}
}

func inferGLU(c *inferCtx) []value {
	x := c.in[0]
	if x == nil || !x.known || len(x.dims) == 0 {
		return []value{c.out(x, nil, false)}
	}
	l := x.last()
	half := unknownDim()
	if isFixed(l) {
		if l.Value%2 != 0 {
			c.shapeErr(0, "an even last dimension (…, 2C)", dimsString(x.dims))
		} else {
			half = Fixed(l.Value / 2)
		}
	}
	return []value{c.out(x, withLast(x.dims, half), true)}
}

func inferBroadcast(c *inferCtx) []value {
	a, b := c.in[0], c.in[1]
	if a == nil || b == nil || !a.known || !b.known {
		return []value{c.out(nil, nil, false)}
	}
	n := max(len(a.dims), len(b.dims))
	dims := make([]Dim, n)
	for i := 0; i < n; i++ {
		da, db := Fixed(1), Fixed(1)
		if j := len(a.dims) - n + i; j >= 0 {
			da = a.dims[j]
		}
		if j := len(b.dims) - n + i; j >= 0 {
			db = b.dims[j]
		}
		switch {
		case isFixed(da) && da.Value == 1:
			dims[i] = db
		case isFixed(db) && db.Value == 1:
			dims[i] = da
		default:
			d, ok := unify(da, db)
			if !ok {
				c.shapeErr(1, fmt.Sprintf("a shape broadcastable with %s", dimsString(a.dims)), dimsString(b.dims))
			}
			dims[i] = d
		}
	}
	return []value{c.out(nil, dims, true)}
}

func inferPool(c *inferCtx) []value {
	B, C := c.activation(0)
	c.stateShapes(C, unknownDim())
	o := value{known: true, dims: []Dim{B, C}, dtype: F32}
	if c.step {
		o.timed = false
	}
	return []value{o}
}

func inferS4D(c *inferCtx) []value {
	x := c.in[0]
	_, H := c.activation(0)
	N := unknownDim()
	bidir := c.node.AttrInt("bidirectional") != 0
	for i := 1; i <= 6; i++ {
		H, N = c.mat(i, H, N, "H", "N")
	}
	if c.in[7] != nil {
		H = c.vec(7, H, "H")
	}
	for i := 8; i <= 9; i++ {
		switch {
		case bidir && c.in[i] == nil:
			c.v.add(Problem{Kind: ProblemInputs, Where: c.where(), Msg: fmt.Sprintf("input %s is required when bidirectional = 1", c.spec.Inputs[i].Name)})
		case !bidir && c.in[i] != nil:
			c.v.add(Problem{Kind: ProblemInputs, Where: c.where(), Msg: fmt.Sprintf("input %s is given but bidirectional = 0", c.inName(i))})
		case bidir:
			H, N = c.mat(i, H, N, "H", "N")
		}
	}
	c.stateShapes(H, N)
	if x != nil && x.known && len(x.dims) > 0 {
		return []value{c.out(x, withLast(x.dims, H), true)}
	}
	return []value{c.out(x, nil, false)}
}

func inferSDN(c *inferCtx) []value {
	x := c.in[0]
	_, C := c.activation(0)
	eight := Fixed(8)
	c.mat(1, eight, eight, "8 channels", "8 taps")
	c.vec(2, eight, "8")
	c.mat(3, eight, eight, "8", "8")
	c.vec(4, eight, "8")
	c.vec(5, eight, "8")
	c.vec(6, Fixed(1), "1")
	c.stateShapes(C, unknownDim())
	outs := make([]value, 2)
	for i := range outs {
		if x != nil && x.known {
			outs[i] = c.out(x, x.dims, true)
		} else {
			outs[i] = c.out(x, nil, false)
		}
	}
	return outs
}

func inferCubaLIF(c *inferCtx) []value {
	x := c.in[0]
	_, C := c.activation(0)
	for i := 1; i <= 7; i++ {
		C = c.vec(i, C, "C")
	}
	if c.in[8] != nil {
		C, C = c.mat(8, C, C, "C", "C")
	}
	c.stateShapes(C, unknownDim())
	outs := make([]value, 2)
	for i := range outs {
		if x != nil && x.known && len(x.dims) > 0 {
			outs[i] = c.out(x, withLast(x.dims, C), true)
		} else {
			outs[i] = c.out(x, nil, false)
		}
	}
	return outs
}

func inferArgMax(c *inferCtx) []value {
	x := c.in[0]
	if x == nil || !x.known || len(x.dims) == 0 {
		o := c.out(x, nil, false)
		o.dtype = I64
		return []value{o}
	}
	o := c.out(x, append([]Dim(nil), x.dims[:len(x.dims)-1]...), true)
	o.dtype = I64
	return []value{o}
}

// stateShapes records the node's state shapes from its channel count C (H for S4D) and
// N (S4D modes). Batch is the symbol B.
func (c *inferCtx) stateShapes(C, N Dim) {
	B := Sym("B")
	c.state = c.state[:0]
	for _, s := range c.spec.State {
		var d []Dim
		switch {
		case c.spec.Op == "S4D":
			d = []Dim{B, C, N}
		case c.spec.Op == "SDNNeuron":
			d = []Dim{B, C, Fixed(8)}
		case s.Shape == "(B)":
			d = []Dim{B}
		default:
			d = []Dim{B, C}
		}
		c.state = append(c.state, d)
	}
}
