package runtime

import (
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"

	"github.com/spikessm/spikessm/format"
	"github.com/stretchr/testify/require"
)

// toy builds small models with format.Builder for unit tests.
type toy struct {
	t       testing.TB
	b       *format.Builder
	nodes   []format.Node
	weights map[string][]float64
	shapes  map[string][]int
	rng     *rand.Rand
	outDims map[string][]format.Dim
	unitB   bool // s4d: b = 1 + 0i, as the converter stores it (b folded into c)
}

// out declares the shape of a graph output: -1 is the batch symbol B, -2 the length L.
func (g *toy) out(name string, dims ...int) {
	if g.outDims == nil {
		g.outDims = map[string][]format.Dim{}
	}
	var d []format.Dim
	for _, v := range dims {
		switch v {
		case -1:
			d = append(d, format.Dim{Value: -1, Symbol: "B"})
		case -2:
			d = append(d, format.Dim{Value: -1, Symbol: "L"})
		default:
			d = append(d, format.Dim{Value: int64(v)})
		}
	}
	g.outDims[name] = d
}

func newToy(t testing.TB, seed uint64) *toy {
	return &toy{t: t, b: format.NewBuilder(), weights: map[string][]float64{}, shapes: map[string][]int{}, rng: rand.New(rand.NewPCG(seed, 7))}
}

func (g *toy) w(name string, shape []int, data []float64) string {
	f := make([]float32, len(data))
	sh := make([]int64, len(shape))
	for i, d := range shape {
		sh[i] = int64(d)
	}
	for i, v := range data {
		f[i] = float32(v)
		data[i] = float64(f[i]) // the reference sees the stored float32 values
	}
	require.NoError(g.t, g.b.AddFloat32(name, sh, f))
	g.weights[name] = data
	g.shapes[name] = shape
	return name
}

func (g *toy) randn(n int, scale float64) []float64 {
	d := make([]float64, n)
	for i := range d {
		d[i] = g.rng.NormFloat64() * scale
	}
	return d
}

func (g *toy) uniform(n int, lo, hi float64) []float64 {
	d := make([]float64, n)
	for i := range d {
		d[i] = lo + (hi-lo)*g.rng.Float64()
	}
	return d
}

func (g *toy) node(op, name string, ins, outs []string, attrs map[string]any) {
	g.nodes = append(g.nodes, format.Node{Name: name, Op: op, Version: 1, Inputs: ins, Outputs: outs, Attrs: attrs})
}

func (g *toy) linear(name, in, out string, k, m int) {
	w := g.w(name+".weight", []int{m, k}, g.randn(m*k, 1/math.Sqrt(float64(k))))
	b := g.w(name+".bias", []int{m}, g.randn(m, 0.1))
	g.node("Linear", name, []string{in, w, b}, []string{out}, nil)
}

func (g *toy) layerNorm(name, in, out string, c int) {
	ga := g.w(name+".weight", []int{c}, g.uniform(c, 0.5, 1.5))
	be := g.w(name+".bias", []int{c}, g.randn(c, 0.1))
	g.node("LayerNorm", name, []string{in, ga, be}, []string{out}, map[string]any{"epsilon": 1e-5})
}

func (g *toy) s4d(name, in, out string, h, n int, bidir bool) {
	ar := make([]float64, h*n)
	ai := make([]float64, h*n)
	for i := range ar {
		a := cmplx.Rect(0.6+0.35*g.rng.Float64(), math.Pi*g.rng.Float64())
		ar[i], ai[i] = real(a), imag(a)
	}
	ins := []string{in,
		g.w(name+".a_re", []int{h, n}, ar), g.w(name+".a_im", []int{h, n}, ai),
		g.w(name+".b_re", []int{h, n}, g.bRe(h*n)), g.w(name+".b_im", []int{h, n}, g.bIm(h*n)),
		g.w(name+".c_re", []int{h, n}, g.randn(h*n, 0.5)), g.w(name+".c_im", []int{h, n}, g.randn(h*n, 0.5)),
		g.w(name+".d", []int{h}, g.randn(h, 1)),
	}
	attrs := map[string]any{}
	if bidir {
		ins = append(ins, g.w(name+".c_bwd_re", []int{h, n}, g.randn(h*n, 0.5)), g.w(name+".c_bwd_im", []int{h, n}, g.randn(h*n, 0.5)))
		attrs["bidirectional"] = int64(1)
	}
	g.node("S4D", name, ins, []string{out}, attrs)
}

// bRe and bIm are the S4D input weights: random, or 1 + 0i with unitB.
func (g *toy) bRe(n int) []float64 {
	if g.unitB {
		v := make([]float64, n)
		for i := range v {
			v[i] = 1
		}
		return v
	}
	return g.randn(n, 0.5)
}

func (g *toy) bIm(n int) []float64 {
	if g.unitB {
		return make([]float64, n)
	}
	return g.randn(n, 0.5)
}

func (g *toy) sdn(name, in, out, mem string) {
	ins := []string{in,
		g.w(name+".w1", []int{8, 8}, g.randn(64, 0.5)), g.w(name+".b1", []int{8}, g.randn(8, 0.2)),
		g.w(name+".w2", []int{8, 8}, g.randn(64, 0.4)), g.w(name+".b2", []int{8}, g.randn(8, 0.2)),
		g.w(name+".w3", []int{8}, g.randn(8, 0.5)), g.w(name+".b3", []int{1}, g.randn(1, 0.2)),
	}
	outs := []string{out}
	if mem != "" {
		outs = append(outs, mem)
	}
	g.node("SDNNeuron", name, ins, outs, map[string]any{"threshold": 1.0})
}

// model finishes the graph with input "input" (B, L, F) and the given outputs.
func (g *toy) model(f int, outputs ...string) []byte {
	in := format.ValueInfo{Name: "input", DType: format.F32, Shape: []format.Dim{{Value: -1, Symbol: "B"}, {Value: -1, Symbol: "L"}, {Value: int64(f)}}}
	var outs []format.ValueInfo
	for _, o := range outputs {
		outs = append(outs, format.ValueInfo{Name: o, DType: format.F32, Shape: g.outDims[o]})
	}
	require.NoError(g.t, g.b.AddGraph(format.Graph{Name: "sequence", Inputs: []format.ValueInfo{in}, Outputs: outs, Nodes: g.nodes}))
	data, err := g.b.Bytes()
	require.NoError(g.t, err)
	return data
}

// ---- float64 reference interpreter (independent of the runtime, straight from OPS.md) ----

type rt struct {
	shape []int
	d     []float64
}

type refResult struct {
	vals    map[string]rt
	margins map[string][]float64 // spike output name -> |pre-threshold margin|
}

func refRun(t testing.TB, g *toy, input []float64, B, L, F int) refResult {
	res := refResult{vals: map[string]rt{"input": {[]int{B, L, F}, input}}, margins: map[string][]float64{}}
	get := func(name string) rt {
		if v, ok := res.vals[name]; ok {
			return v
		}
		w, ok := g.weights[name]
		require.True(t, ok, "ref: unknown tensor %s", name)
		return rt{g.shapes[name], w}
	}
	for _, n := range g.nodes {
		x := get(n.Inputs[0])
		c := x.shape[len(x.shape)-1]
		rows := len(x.d) / c
		out := make([]float64, len(x.d))
		oshape := x.shape
		fattr := func(k string, def float64) float64 {
			if v, ok := n.Attrs[k]; ok {
				return v.(float64)
			}
			return def
		}
		switch n.Op {
		case "Linear":
			w := get(n.Inputs[1])
			m := w.shape[0]
			out = make([]float64, rows*m)
			oshape = append(append([]int(nil), x.shape[:len(x.shape)-1]...), m)
			for r := 0; r < rows; r++ {
				for i := 0; i < m; i++ {
					s := 0.0
					if len(n.Inputs) > 2 {
						s = get(n.Inputs[2]).d[i]
					}
					for k := 0; k < c; k++ {
						s += x.d[r*c+k] * w.d[i*c+k]
					}
					out[r*m+i] = s
				}
			}
		case "LayerNorm":
			ga, be := get(n.Inputs[1]).d, get(n.Inputs[2]).d
			for r := 0; r < rows; r++ {
				row := x.d[r*c : (r+1)*c]
				mean, v := 0.0, 0.0
				for _, a := range row {
					mean += a
				}
				mean /= float64(c)
				for _, a := range row {
					v += (a - mean) * (a - mean)
				}
				v /= float64(c)
				for j, a := range row {
					out[r*c+j] = (a-mean)/math.Sqrt(v+1e-5)*ga[j] + be[j]
				}
			}
		case "GELU":
			for i, a := range x.d {
				out[i] = 0.5 * a * (1 + math.Erf(a/math.Sqrt2))
			}
		case "GLU":
			h := c / 2
			out = make([]float64, rows*h)
			oshape = append(append([]int(nil), x.shape[:len(x.shape)-1]...), h)
			for r := 0; r < rows; r++ {
				for j := 0; j < h; j++ {
					out[r*h+j] = x.d[r*c+j] / (1 + math.Exp(-x.d[r*c+h+j]))
				}
			}
		case "Add":
			y := get(n.Inputs[1])
			for i := range out {
				out[i] = x.d[i] + y.d[i%len(y.d)]
			}
		case "Heaviside":
			th := fattr("threshold", 0)
			mg := make([]float64, len(out))
			for i, a := range x.d {
				if a >= th {
					out[i] = 1
				}
				mg[i] = math.Abs(a - th)
			}
			res.margins[n.Outputs[0]] = mg
		case "ThresholdScale":
			l := get(n.Inputs[1]).d
			for i, a := range x.d {
				out[i] = a / math.Exp(l[i%c])
			}
		case "MeanPool", "LastStep":
			b, T := x.shape[0], x.shape[1]
			out = make([]float64, b*c)
			oshape = []int{b, c}
			for bi := 0; bi < b; bi++ {
				for j := 0; j < c; j++ {
					if n.Op == "LastStep" {
						out[bi*c+j] = x.d[(bi*T+T-1)*c+j]
						continue
					}
					s := 0.0
					for s2 := 0; s2 < T; s2++ {
						s += x.d[(bi*T+s2)*c+j]
					}
					out[bi*c+j] = s / float64(T)
				}
			}
		case "S4D":
			b, T := x.shape[0], x.shape[1]
			N := g.shapes[n.Inputs[1]][1]
			cplx := func(re, im string, h, k int) complex128 {
				return complex(get(re).d[h*N+k], get(im).d[h*N+k])
			}
			bidir := len(n.Inputs) > 8
			for bi := 0; bi < b; bi++ {
				for h := 0; h < c; h++ {
					// Convolution kernels from the definition.
					K := make([]float64, T)
					Kb := make([]float64, T)
					for k := 0; k < N; k++ {
						a := cplx(n.Inputs[1], n.Inputs[2], h, k)
						bb := cplx(n.Inputs[3], n.Inputs[4], h, k)
						cc := cplx(n.Inputs[5], n.Inputs[6], h, k)
						var cb complex128
						if bidir {
							cb = cplx(n.Inputs[8], n.Inputs[9], h, k)
						}
						p := complex(1, 0)
						for l := 0; l < T; l++ {
							K[l] += 2 * real(cc*p*bb)
							Kb[l] += 2 * real(cb*p*bb)
							p *= a
						}
					}
					d := 0.0
					if len(n.Inputs) > 7 && n.Inputs[7] != "" {
						d = get(n.Inputs[7]).d[h]
					}
					u := func(s int) float64 { return x.d[(bi*T+s)*c+h] }
					for s := 0; s < T; s++ {
						y := d * u(s)
						for j := 0; j <= s; j++ {
							y += K[s-j] * u(j)
						}
						if bidir {
							for j := s + 1; j < T; j++ {
								y += Kb[j-s-1] * u(j)
							}
						}
						out[(bi*T+s)*c+h] = y
					}
				}
			}
		case "SDNNeuron":
			b, T := x.shape[0], x.shape[1]
			w1, b1, w2, b2, w3, b3 := get(n.Inputs[1]).d, get(n.Inputs[2]).d, get(n.Inputs[3]).d, get(n.Inputs[4]).d, get(n.Inputs[5]).d, get(n.Inputs[6]).d
			th := fattr("threshold", 1)
			mem := make([]float64, len(out))
			mg := make([]float64, len(out))
			for bi := 0; bi < b; bi++ {
				for ch := 0; ch < c; ch++ {
					v := func(s int) float64 {
						if s < 0 {
							return 0
						}
						return x.d[(bi*T+s)*c+ch]
					}
					for s := 0; s < T; s++ {
						var h1, h2 [8]float64
						for k := 0; k < 8; k++ {
							a := b1[k]
							for j := 0; j < 8; j++ {
								a += w1[k*8+j] * v(s-8+j)
							}
							h1[k] = math.Max(a, 0)
						}
						for k := 0; k < 8; k++ {
							a := b2[k] + h1[k]
							for j := 0; j < 8; j++ {
								a += w2[k*8+j] * h1[j]
							}
							h2[k] = math.Max(a, 0)
						}
						m := b3[0]
						for k := 0; k < 8; k++ {
							m += w3[k] * h2[k]
						}
						i := (bi*T+s)*c + ch
						mem[i] = m
						mg[i] = math.Abs(m + v(s) - th)
						if m+v(s)-th >= 0 {
							out[i] = 1
						}
					}
				}
			}
			res.margins[n.Outputs[0]] = mg
			if len(n.Outputs) > 1 {
				res.vals[n.Outputs[1]] = rt{x.shape, mem}
			}
		case "SpikingNeuron":
			b, T := x.shape[0], x.shape[1]
			pc := func(i int) []float64 {
				if i < len(n.Inputs) && n.Inputs[i] != "" {
					return get(n.Inputs[i]).d
				}
				return make([]float64, c)
			}
			tau, theta, rho, beta := pc(1), pc(2), pc(3), pc(4)
			reset, _ := n.Attrs["reset"].(string)
			if reset == "" {
				reset = "soft"
			}
			gt := n.Attrs["compare"] == "gt"
			mem := make([]float64, len(out))
			mg := make([]float64, len(out))
			for bi := 0; bi < b; bi++ {
				for ch := 0; ch < c; ch++ {
					var m, sp, r float64
					for s := 0; s < T; s++ {
						i := (bi*T+s)*c + ch
						switch reset {
						case "soft":
							m = tau[ch]*(m-theta[ch]*sp) + x.d[i] - rho[ch]*r
						case "hard":
							m = tau[ch]*m*(1-sp) + x.d[i] - rho[ch]*r
						default:
							m = tau[ch]*m + x.d[i] - rho[ch]*r
						}
						sp = 0
						if (gt && m > theta[ch]) || (!gt && m >= theta[ch]) {
							sp = 1
						}
						r = beta[ch]*r + sp
						out[i], mem[i], mg[i] = sp, m, math.Abs(m-theta[ch])
					}
				}
			}
			res.margins[n.Outputs[0]] = mg
			if len(n.Outputs) > 1 {
				res.vals[n.Outputs[1]] = rt{x.shape, mem}
			}
		default:
			t.Fatalf("ref: op %s not implemented", n.Op)
		}
		res.vals[n.Outputs[0]] = rt{oshape, out}
	}
	return res
}

// requireClose checks |got − want| ≤ atol + rtol·max|want| elementwise.
func requireClose(t testing.TB, name string, want []float64, got []float32, atol, rtol float64) {
	t.Helper()
	require.Len(t, got, len(want), name)
	mx := 0.0
	for _, v := range want {
		mx = math.Max(mx, math.Abs(v))
	}
	tol := atol + rtol*mx
	worst, wi := 0.0, -1
	for i := range want {
		d := math.Abs(float64(got[i]) - want[i])
		if !(d <= worst) {
			worst, wi = d, i
		}
	}
	require.LessOrEqual(t, worst, tol, "%s: worst |diff| %g at %d (want %g got %g), tol %g", name, worst, wi, want[max(wi, 0)], got[max(wi, 0)], tol)
}

func f64(d []float32) []float64 {
	o := make([]float64, len(d))
	for i, v := range d {
		o[i] = float64(v)
	}
	return o
}

func randInput(seed uint64, n int) []float32 {
	r := rand.New(rand.NewPCG(seed, 3))
	d := make([]float32, n)
	for i := range d {
		d[i] = float32(r.Float64())
	}
	return d
}

// toyClassifier builds an S4D classifier: encoder, layers, mean pool, decoder. kind selects
// the layer's nonlinearity: "gelu", "heaviside", "sdn", "lif".
func toyClassifier(t testing.TB, seed uint64, kind string, h, n, f, k, layers int, bidir, prenorm bool) (*toy, []byte) {
	g := newToy(t, seed)
	g.linear("encoder", "input", "encoder.out", f, h)
	x := "encoder.out"
	for i := 0; i < layers; i++ {
		p := fmt.Sprintf("layer%d", i)
		in := x
		if prenorm {
			g.layerNorm(p+".norm", x, p+".in", h)
			in = p + ".in"
		}
		g.s4d(p+".s4d", in, p+".ssm", h, n, bidir)
		act := p + ".act"
		switch kind {
		case "gelu":
			g.node("GELU", p+".gelu", []string{p + ".ssm"}, []string{act}, nil)
		case "heaviside":
			g.node("Heaviside", p+".spike", []string{p + ".ssm"}, []string{act}, map[string]any{"threshold": 0.0})
		case "sdn":
			lv := g.w(p+".ln_vth", []int{h}, g.randn(h, 0.2))
			g.node("ThresholdScale", p+".vth", []string{p + ".ssm", lv}, []string{p + ".vin"}, nil)
			g.sdn(p+".sdn", p+".vin", act, p+".mem")
		case "lif":
			tau := g.w(p+".tau", []int{h}, g.uniform(h, 0.5, 0.95))
			th := g.w(p+".theta", []int{h}, g.uniform(h, 0.3, 1))
			rho := g.w(p+".rho", []int{h}, g.uniform(h, 0, 0.5))
			beta := g.w(p+".beta", []int{h}, g.uniform(h, 0, 0.9))
			g.node("SpikingNeuron", p+".lif", []string{p + ".ssm", tau, th, rho, beta}, []string{act}, map[string]any{"reset": "soft"})
		}
		g.linear(p+".out_linear", act, p+".glu_in", h, 2*h)
		g.node("GLU", p+".glu", []string{p + ".glu_in"}, []string{p + ".block"}, nil)
		if prenorm {
			g.node("Add", p+".res", []string{x, p + ".block"}, []string{p + ".out"}, nil)
		} else {
			g.node("Add", p+".res", []string{x, p + ".block"}, []string{p + ".sum"}, nil)
			g.layerNorm(p+".norm", p+".sum", p+".out", h)
		}
		x = p + ".out"
	}
	g.node("MeanPool", "pool", []string{x}, []string{"pool"}, nil)
	g.linear("decoder", "pool", "logits", h, k)
	g.out("logits", -1, k)
	return g, g.model(f, "logits")
}
