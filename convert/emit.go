package convert

import (
	"fmt"
	"math"
	"math/cmplx"

	"github.com/spikessm/spikessm/format"
)

// node appends an op to the sequence graph.
func (c *conv) node(op, name string, inputs, outputs []string, attrs map[string]any) {
	c.nodes = append(c.nodes, format.Node{Name: name, Op: op, Version: 1, Inputs: inputs, Outputs: outputs, Attrs: attrs})
}

// weight stores a float32 initializer converted from float64 values.
func (c *conv) weight(name string, shape []int64, v []float64) (string, error) {
	f := make([]float32, len(v))
	for i, x := range v {
		f[i] = float32(x)
		if math.IsInf(float64(f[i]), 0) {
			return "", fmt.Errorf("initializer %s: element %d (%g) overflows float32", name, i, x)
		}
	}
	if err := c.b.AddFloat32(name, shape, f); err != nil {
		return "", err
	}
	return name, nil
}

// linear emits Y = X·Wᵀ + b with W (M, K) taken from a checkpoint key
// (trailing Conv1d kernel dimension of 1 allowed).
func (c *conv) linear(name, in, out, wKey, bKey string, M, K int) error {
	shp, ok := c.shape(wKey)
	if !ok {
		return fmt.Errorf("tensor %s is missing from the checkpoint", wKey)
	}
	var w []float64
	var err error
	if len(shp) == 3 {
		w, err = c.take(wKey, M, K, 1)
	} else {
		w, err = c.take(wKey, M, K)
	}
	if err != nil {
		return err
	}
	wn, err := c.weight(name+".weight", []int64{int64(M), int64(K)}, w)
	if err != nil {
		return err
	}
	inputs := []string{in, wn}
	if bKey != "" {
		b, err := c.take(bKey, M)
		if err != nil {
			return err
		}
		bn, err := c.weight(name+".bias", []int64{int64(M)}, b)
		if err != nil {
			return err
		}
		inputs = append(inputs, bn)
	}
	c.node("Linear", name, inputs, []string{out}, nil)
	return nil
}

// layerNorm emits LayerNorm with gamma/beta from checkpoint keys.
func (c *conv) layerNorm(name, in, out, prefix string, H int) error {
	g, err := c.take(prefix+"weight", H)
	if err != nil {
		return err
	}
	b, err := c.take(prefix+"bias", H)
	if err != nil {
		return err
	}
	gn, err := c.weight(name+".gamma", []int64{int64(H)}, g)
	if err != nil {
		return err
	}
	bn, err := c.weight(name+".beta", []int64{int64(H)}, b)
	if err != nil {
		return err
	}
	c.node("LayerNorm", name, []string{in, gn, bn}, []string{out}, map[string]any{"epsilon": 1e-5})
	return nil
}

// batchNorm emits inference BatchNorm from a BatchNorm1d's tensors.
func (c *conv) batchNorm(name, in, out, prefix string, H int) error {
	var names []string
	for _, k := range []string{"weight", "bias", "running_mean", "running_var"} {
		v, err := c.take(prefix+k, H)
		if err != nil {
			return err
		}
		n, err := c.weight(name+"."+k, []int64{int64(H)}, v)
		if err != nil {
			return err
		}
		names = append(names, n)
	}
	c.ignore(prefix + "num_batches_tracked")
	c.node("BatchNorm", name, append([]string{in}, names...), []string{out}, map[string]any{"epsilon": 1e-5})
	return nil
}

// ssm holds the discrete S4D parameters of one layer, float64, (H, N)
// row-major, before rounding to float32.
type ssm struct {
	H, N    int
	a, b, c []complex128
	cBwd    []complex128 // nil unless bidirectional
	d       []float64    // nil = no skip
}

// kernel returns K[h][l] = 2·Re Σ_n c a^l b for l < L (float64), and the
// backward kernel when bidirectional.
func (s *ssm) kernel(L int, bwd bool) [][]float64 {
	cc := s.c
	if bwd {
		cc = s.cBwd
	}
	out := make([][]float64, s.H)
	for h := 0; h < s.H; h++ {
		out[h] = make([]float64, L)
		for n := 0; n < s.N; n++ {
			i := h*s.N + n
			p := cc[i] * s.b[i]
			for l := 0; l < L; l++ {
				out[h][l] += 2 * real(p)
				p *= s.a[i]
			}
		}
	}
	return out
}

// emitS4D stores the discrete parameters and emits the S4D node. b is folded into
// c (and c_bwd), in float64: c' = c·b, b' = 1. The layer's output is unchanged
// (K[l] = 2·Re Σ c·a^l·b either way) and the runtime's unit-b scan kernels skip
// the b·u products; the stored state is then x/b of the unfolded recurrence, which
// the metadata key semantics.s4d_b records.
func (c *conv) emitS4D(name, in, out string, s *ssm) error {
	shape := []int64{int64(s.H), int64(s.N)}
	s = s.foldB()
	if !c.foldedB {
		c.foldedB = true
		c.setMeta("semantics.s4d_b", "folded into c: b = 1, c = c·b (computed in float64); the S4D state is x/b of the unfolded recurrence")
	}
	split := func(v []complex128) ([]float64, []float64) {
		re := make([]float64, len(v))
		im := make([]float64, len(v))
		for i, z := range v {
			re[i], im[i] = real(z), imag(z)
			if cmplx.IsNaN(z) || cmplx.IsInf(z) {
				re[i] = math.NaN()
			}
		}
		return re, im
	}
	inputs := []string{in}
	for _, p := range []struct {
		n string
		v []complex128
	}{{"a", s.a}, {"b", s.b}, {"c", s.c}} {
		re, im := split(p.v)
		for i, x := range re {
			if math.IsNaN(x) || math.IsNaN(im[i]) {
				return fmt.Errorf("%s: discretised %s[%d] is not finite", name, p.n, i)
			}
		}
		rn, err := c.weight(name+"."+p.n+"_re", shape, re)
		if err != nil {
			return err
		}
		in, err := c.weight(name+"."+p.n+"_im", shape, im)
		if err != nil {
			return err
		}
		inputs = append(inputs, rn, in)
	}
	attrs := map[string]any{}
	if s.d != nil {
		dn, err := c.weight(name+".d", []int64{int64(s.H)}, s.d)
		if err != nil {
			return err
		}
		inputs = append(inputs, dn)
	} else {
		inputs = append(inputs, "")
	}
	if s.cBwd != nil {
		re, im := split(s.cBwd)
		rn, err := c.weight(name+".c_bwd_re", shape, re)
		if err != nil {
			return err
		}
		in, err := c.weight(name+".c_bwd_im", shape, im)
		if err != nil {
			return err
		}
		inputs = append(inputs, rn, in)
		attrs["bidirectional"] = int64(1)
	}
	c.node("S4D", name, inputs, []string{out}, attrs)
	return nil
}

// foldB returns a copy of s with b folded into c and c_bwd (b = 1).
func (s *ssm) foldB() *ssm {
	f := *s
	f.b = make([]complex128, len(s.b))
	f.c = make([]complex128, len(s.c))
	for i := range s.b {
		f.b[i] = 1
		f.c[i] = s.c[i] * s.b[i]
	}
	if s.cBwd != nil {
		f.cBwd = make([]complex128, len(s.cBwd))
		for i := range s.cBwd {
			f.cBwd[i] = s.cBwd[i] * s.b[i]
		}
	}
	return &f
}

// transform applies s4's param_transform.
func transform(p float64, kind string) (float64, error) {
	switch kind {
	case "none", "":
		return p, nil
	case "exp":
		return math.Exp(p), nil
	case "relu":
		return math.Max(p, 0) + 1e-4, nil
	case "sigmoid":
		return 1 / (1 + math.Exp(-p)), nil
	case "softplus":
		return softplus(p), nil
	}
	return 0, fmt.Errorf("unknown parameter transform %q", kind)
}

// softplus is torch.nn.functional.softplus (beta 1, threshold 20).
func softplus(x float64) float64 {
	if x > 20 {
		return x
	}
	return math.Log1p(math.Exp(x))
}

// discretise returns the discrete a and b for continuous A, input vector B
// and step dt.
func discretise(A, B complex128, dt float64, disc string) (complex128, complex128, error) {
	dtA := complex(dt, 0) * A
	switch disc {
	case "zoh":
		a := cmplx.Exp(dtA)
		return a, B * (a - 1) / A, nil
	case "bilinear":
		den := 1 - dtA/2
		return (1 + dtA/2) / den, B * complex(dt, 0) / den, nil
	}
	return 0, 0, fmt.Errorf("unsupported discretisation %q (zoh and bilinear are; dss depends on the sequence length)", disc)
}
