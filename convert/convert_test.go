package convert

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"math/cmplx"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spikessm/spikessm/convert/safetensors"
	"github.com/spikessm/spikessm/convert/torchfile"
	"github.com/spikessm/spikessm/format"
)

const refDir = "../testdata/reference"

type refCase struct {
	name, file string
	opt        Options
	arch       string
	layers     int
	prenorm    bool
	// raw kernel: function computing the float64 kernel from the checkpoint
	kind string // s4d | sdn | diag
	// intermediates the graph must produce (names the fixtures use)
	want []string
}

var refCases = []refCase{
	{name: "s4d_example", file: "ckpt.pth", arch: ArchS4DExample, layers: 2, kind: "s4d",
		want: []string{"encoder.out", "layer0.ssm", "layer0.block", "layer0.out", "layer1.ssm", "layer1.block", "layer1.out", "pool", "logits"}},
	{name: "binary_s4d", file: "ckpt.pth", opt: Options{Activation: "heaviside"}, arch: ArchBinaryS4D, layers: 2, kind: "s4d",
		want: []string{"encoder.out", "layer0.ssm", "layer0.spikes", "layer0.block", "layer0.out", "layer1.spikes", "layer1.out", "pool", "logits"}},
	{name: "s4block_diag", file: "last.ckpt", arch: ArchS4Block, layers: 2, prenorm: true, kind: "diag",
		want: []string{"encoder.out", "layer0.in", "layer0.ssm", "layer0.block", "layer0.out", "layer1.in", "layer1.out", "final_norm", "pool", "logits"}},
	{name: "spikingssm_sdn", file: "last.ckpt", arch: ArchSpikingSSM, layers: 2, prenorm: true, kind: "sdn",
		want: []string{"encoder.out", "layer0.in", "layer0.ssm", "layer0.vin", "layer0.mem", "layer0.spikes", "layer0.block", "layer0.out", "layer1.in", "layer1.spikes", "layer1.out", "pool", "logits"}},
	{name: "spikingssm_sdn_long", file: "last.ckpt", arch: ArchSpikingSSM, layers: 2, kind: "sdn",
		want: []string{"encoder.out", "layer0.ssm", "layer0.vin", "layer0.mem", "layer0.spikes", "layer0.block", "layer0.out", "layer1.out", "pool", "logits"}},
}

func convertCase(t *testing.T, rc refCase) (*Result, *format.Model) {
	t.Helper()
	res, err := ConvertFile(filepath.Join(refDir, rc.name, rc.file), rc.opt)
	require.NoError(t, err, rc.name)
	data, err := res.Bytes()
	require.NoError(t, err, rc.name)
	m, err := format.FromBytes(data)
	require.NoError(t, err, rc.name)
	return res, m
}

func TestReferenceCasesConvert(t *testing.T) {
	for _, rc := range refCases {
		t.Run(rc.name, func(t *testing.T) {
			res, m := convertCase(t, rc)
			assert.Equal(t, rc.arch, res.Arch)
			assert.Empty(t, res.Unused)
			validate(t, m)
			md := m.Metadata()
			raw, err := os.ReadFile(filepath.Join(refDir, rc.name, rc.file))
			require.NoError(t, err)
			sum := sha256.Sum256(raw)
			assert.Equal(t, hex.EncodeToString(sum[:]), md["source.sha256"])
			assert.Equal(t, rc.file, md["source.file"])
			assert.Equal(t, rc.arch, md["source.arch"])
			assert.Equal(t, int64(10), md["task.classes"])
			assert.Equal(t, int64(1), md["task.input_features"])
			assert.Equal(t, "zoh", md["semantics.discretization"])
			assert.Equal(t, Version, md["converter.version"])
			if rc.file == "last.ckpt" {
				assert.Equal(t, "pytorch-lightning 2.0.4", md["source.framework"])
			} else {
				assert.Equal(t, "pytorch", md["source.framework"])
			}
			g, ok := m.Graph(format.GraphSequence)
			require.True(t, ok)
			require.Len(t, g.Inputs, 1)
			assert.Equal(t, "input", g.Inputs[0].Name)
			require.Len(t, g.Outputs, 1)
			assert.Equal(t, "logits", g.Outputs[0].Name)
			// causal models get a step entry point; bidirectional SDN ones cannot
			st, hasStep := m.Graph(format.GraphStep)
			assert.Equal(t, rc.kind != "sdn", hasStep)
			if hasStep {
				assert.Equal(t, "input", st.Inputs[0].Name)
				assert.Greater(t, len(st.Inputs), 1, "step graph has state inputs")
			}
			outs := map[string]bool{}
			for _, n := range g.Nodes {
				for _, o := range n.Outputs {
					outs[o] = true
				}
			}
			for _, w := range rc.want {
				assert.True(t, outs[w], "graph lacks intermediate %s", w)
			}
			// every io.safetensors intermediate the case records is produced
			io, err := safetensors.ReadFile(filepath.Join(refDir, rc.name, "io.safetensors"))
			require.NoError(t, err)
			for _, tt := range io.Tensors {
				switch tt.Name {
				case "input", "logits_f64", "test_logits":
					continue
				}
				assert.True(t, outs[tt.Name], "fixture tensor %s has no graph value of that name", tt.Name)
			}
		})
	}
}

// validate runs the format validator.
func validate(t *testing.T, m *format.Model) {
	t.Helper()
	require.NoError(t, m.Validate())
}

// rawKernels evaluates each layer's kernel in float64 straight from the
// checkpoint parameters, with the formulas of testdata/reference/README.md
// (exp(dtA·l) computed directly, not by repeated products).
func rawKernels(t *testing.T, rc refCase, L int) (fwd, bwd [][][]float64) {
	t.Helper()
	ck, err := torchfile.Load(filepath.Join(refDir, rc.name, rc.file))
	require.NoError(t, err)
	sd, _, err := ck.StateDict()
	require.NoError(t, err)
	get := func(k string) []float64 {
		tt, ok := sd[k]
		require.True(t, ok, k)
		v, err := tt.Float64()
		require.NoError(t, err)
		return v
	}
	for i := 0; i < rc.layers; i++ {
		var kf, kb [][]float64
		switch rc.kind {
		case "s4d", "sdn":
			p := fmt.Sprintf("s4_layers.%d.kernel.", i)
			if rc.kind == "sdn" {
				p = "model." + p
			}
			logDT, logAR, AI, C := get(p+"log_dt"), get(p+"log_A_real"), get(p+"A_imag"), get(p+"C")
			H := len(logDT)
			N := len(logAR) / H
			chans := len(C) / (H * N * 2)
			k := func(ch int) [][]float64 {
				out := make([][]float64, H)
				for h := 0; h < H; h++ {
					out[h] = make([]float64, L)
					dt := math.Exp(logDT[h])
					for n := 0; n < N; n++ {
						A := complex(-math.Exp(logAR[h*N+n]), AI[h*N+n])
						dtA := complex(dt, 0) * A
						j := ((ch*H+h)*N + n) * 2
						Cp := complex(C[j], C[j+1]) * (cmplx.Exp(dtA) - 1) / A
						for l := 0; l < L; l++ {
							out[h][l] += 2 * real(Cp*cmplx.Exp(dtA*complex(float64(l), 0)))
						}
					}
				}
				return out
			}
			kf = k(0)
			if chans == 2 {
				kb = k(1)
			}
		case "diag":
			p := fmt.Sprintf("model.layers.%d.layer.layer.kernel.", i)
			invDT, AR, AI, B, C := get(p+"inv_dt"), get(p+"A_real"), get(p+"A_imag"), get(p+"B"), get(p+"C")
			H := len(invDT)
			N := len(AR)
			kf = make([][]float64, H)
			for h := 0; h < H; h++ {
				kf[h] = make([]float64, L)
				x := invDT[h]
				dt := math.Log1p(math.Exp(x)) // torch softplus, x < 20 here
				require.Less(t, x, 20.0)
				for n := 0; n < N; n++ {
					A := complex(-math.Exp(AR[n]), -AI[n]) // Im A = -A_imag
					dtA := complex(dt, 0) * A
					Cp := complex(B[2*n], B[2*n+1]) * complex(C[2*(h*N+n)], C[2*(h*N+n)+1]) * (cmplx.Exp(dtA) - 1) / A
					for l := 0; l < L; l++ {
						kf[h][l] += 2 * real(Cp*cmplx.Exp(dtA*complex(float64(l), 0)))
					}
				}
			}
		}
		fwd = append(fwd, kf)
		bwd = append(bwd, kb)
	}
	return fwd, bwd
}

// stored reads the discrete S4D parameters of a node from the model.
type storedSSM struct {
	H, N    int
	a, b, c []complex128
	cb      []complex128
	d       []float64
}

func storedS4D(t *testing.T, m *format.Model, node string) *storedSSM {
	t.Helper()
	g, _ := m.Graph(format.GraphSequence)
	var n *format.Node
	for i := range g.Nodes {
		if g.Nodes[i].Name == node {
			n = &g.Nodes[i]
		}
	}
	require.NotNil(t, n, node)
	require.Equal(t, "S4D", n.Op)
	f := func(name string) ([]float64, []int64) {
		tt, ok := m.Tensor(name)
		require.True(t, ok, name)
		v, err := tt.Float32()
		require.NoError(t, err)
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = float64(x)
		}
		return out, tt.Shape
	}
	cplx := func(re, im string) ([]complex128, []int64) {
		r, shape := f(re)
		i, _ := f(im)
		out := make([]complex128, len(r))
		for k := range r {
			out[k] = complex(r[k], i[k])
		}
		return out, shape
	}
	s := &storedSSM{}
	var shape []int64
	s.a, shape = cplx(n.Inputs[1], n.Inputs[2])
	s.b, _ = cplx(n.Inputs[3], n.Inputs[4])
	s.c, _ = cplx(n.Inputs[5], n.Inputs[6])
	s.H, s.N = int(shape[0]), int(shape[1])
	if len(n.Inputs) > 7 && n.Inputs[7] != "" {
		s.d, _ = f(n.Inputs[7])
	}
	if len(n.Inputs) > 9 {
		s.cb, _ = cplx(n.Inputs[8], n.Inputs[9])
	}
	return s
}

func (s *storedSSM) kernel(L int, bwd bool) [][]float64 {
	cc := s.c
	if bwd {
		cc = s.cb
	}
	out := make([][]float64, s.H)
	for h := range out {
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

// The discrete kernel of every layer matches a float64 evaluation from the
// raw checkpoint parameters.
func TestReferenceKernels(t *testing.T) {
	for _, rc := range refCases {
		t.Run(rc.name, func(t *testing.T) {
			_, m := convertCase(t, rc)
			L := 64
			if rc.name == "spikingssm_sdn_long" {
				L = 1024
			}
			fwd, bwd := rawKernels(t, rc, L)
			for i := 0; i < rc.layers; i++ {
				s := storedS4D(t, m, fmt.Sprintf("layer%d.s4d", i))
				assertKernel(t, fwd[i], s.kernel(L, false), fmt.Sprintf("%s layer %d", rc.name, i))
				if bwd[i] != nil {
					require.NotNil(t, s.cb, "layer %d: backward kernel missing", i)
					assertKernel(t, bwd[i], s.kernel(L, true), fmt.Sprintf("%s layer %d backward", rc.name, i))
				} else {
					assert.Nil(t, s.cb)
				}
			}
		})
	}
}

func assertKernel(t *testing.T, want, got [][]float64, what string) {
	t.Helper()
	require.Equal(t, len(want), len(got))
	maxAbs, maxDiff := 0.0, 0.0
	for h := range want {
		for l := range want[h] {
			maxAbs = math.Max(maxAbs, math.Abs(want[h][l]))
			maxDiff = math.Max(maxDiff, math.Abs(want[h][l]-got[h][l]))
		}
	}
	require.Greater(t, maxAbs, 0.0, what)
	t.Logf("%s: max |ΔK| %.3g, max |K| %.3g", what, maxDiff, maxAbs)
	// float32 storage of a, b, c: a^l accumulates ~l·2^-24 relative error
	assert.LessOrEqual(t, maxDiff, 1e-5*maxAbs*math.Sqrt(float64(len(want[0])))+1e-7, "%s: max |ΔK| %g of max |K| %g", what, maxDiff, maxAbs)
}

// Running each converted S4D layer (float64 recurrence over the stored
// float32 parameters) on the fixture's recorded layer input reproduces the
// fixture's recorded `layer{i}.ssm`, and ThresholdScale's ln_vth gives `vin`.
func TestReferenceSSMOutputs(t *testing.T) {
	for _, rc := range refCases {
		t.Run(rc.name, func(t *testing.T) {
			_, m := convertCase(t, rc)
			io, err := safetensors.ReadFile(filepath.Join(refDir, rc.name, "io.safetensors"))
			require.NoError(t, err)
			get := func(name string) ([]float64, []int) {
				tt, ok := io.Get(name)
				require.True(t, ok, name)
				v, err := tt.Float64()
				require.NoError(t, err)
				return v, tt.Shape
			}
			for i := 0; i < rc.layers; i++ {
				inName := fmt.Sprintf("layer%d.in", i)
				if !rc.prenorm {
					inName = "encoder.out"
					if i > 0 {
						inName = fmt.Sprintf("layer%d.out", i-1)
					}
				}
				u, shape := get(inName)
				want, _ := get(fmt.Sprintf("layer%d.ssm", i))
				B, L, H := shape[0], shape[1], shape[2]
				if B > 4 {
					B = 4
				}
				s := storedS4D(t, m, fmt.Sprintf("layer%d.s4d", i))
				require.Equal(t, H, s.H)
				got := runS4D(s, u, B, L, H)
				assertClose(t, want[:B*L*H], got, fmt.Sprintf("%s layer%d.ssm", rc.name, i))
				if rc.kind == "sdn" {
					lv, ok := m.Tensor(fmt.Sprintf("layer%d.ln_vth", i))
					require.True(t, ok)
					ln, err := lv.Float32()
					require.NoError(t, err)
					vinWant, _ := get(fmt.Sprintf("layer%d.vin", i))
					ssm, _ := get(fmt.Sprintf("layer%d.ssm", i))
					vin := make([]float64, B*L*H)
					for k := range vin {
						vin[k] = float64(float32(ssm[k]) / float32(math.Exp(float64(ln[k%H]))))
					}
					assertClose(t, vinWant[:B*L*H], vin, fmt.Sprintf("%s layer%d.vin", rc.name, i))
				}
			}
		})
	}
}

// runS4D evaluates the S4D op (forward scan plus reverse scan when
// bidirectional) in float64 on u (B, L, H).
func runS4D(s *storedSSM, u []float64, B, L, H int) []float64 {
	y := make([]float64, B*L*H)
	for b := 0; b < B; b++ {
		for h := 0; h < H; h++ {
			at := func(t int) float64 { return u[(b*L+t)*H+h] }
			for n := 0; n < s.N; n++ {
				i := h*s.N + n
				var x complex128
				for t := 0; t < L; t++ {
					x = s.a[i]*x + s.b[i]*complex(at(t), 0)
					y[(b*L+t)*H+h] += 2 * real(s.c[i]*x)
				}
				if s.cb != nil {
					var g complex128 // g[t] = Σ_{s>t} a^{s-t-1} b u[s]
					for t := L - 1; t >= 0; t-- {
						y[(b*L+t)*H+h] += 2 * real(s.cb[i]*g)
						g = s.a[i]*g + s.b[i]*complex(at(t), 0)
					}
				}
			}
			if s.d != nil {
				for t := 0; t < L; t++ {
					y[(b*L+t)*H+h] += s.d[h] * at(t)
				}
			}
		}
	}
	return y
}

// assertClose applies the fixture README's "close": |go − ref| ≤ 1e-4 +
// 1e-5·max|ref|.
func assertClose(t *testing.T, want, got []float64, what string) {
	t.Helper()
	require.Equal(t, len(want), len(got), what)
	maxRef := 0.0
	for _, v := range want {
		maxRef = math.Max(maxRef, math.Abs(v))
	}
	tol := 1e-4 + 1e-5*maxRef
	worst, at := 0.0, 0
	for k := range want {
		if d := math.Abs(want[k] - got[k]); d > worst {
			worst, at = d, k
		}
	}
	t.Logf("%s: worst |Δ| %.3g (tol %.3g)", what, worst, tol)
	assert.LessOrEqual(t, worst, tol, "%s: worst |Δ| %g at %d (ref %g, got %g), tol %g", what, worst, at, want[at], got[at], tol)
}

func TestSpikeSSMRef(t *testing.T) {
	path := "testdata/spikessm_ref/model.pt"
	res, err := ConvertFile(path, Options{})
	require.NoError(t, err)
	assert.Equal(t, ArchSpikeSSMRef, res.Arch)
	data, err := res.Bytes()
	require.NoError(t, err)
	m, err := format.FromBytes(data)
	require.NoError(t, err)
	validate(t, m)
	md := m.Metadata()
	assert.Equal(t, "soft", md["semantics.reset"])
	assert.Equal(t, "ge", md["semantics.threshold_compare"])
	assert.Equal(t, int64(3), md["task.classes"])

	ck, err := torchfile.Load(path)
	require.NoError(t, err)
	sd, _, err := ck.StateDict()
	require.NoError(t, err)
	for i := 0; i < 2; i++ {
		s := storedS4D(t, m, fmt.Sprintf("layer%d.s4d", i))
		p := fmt.Sprintf("layers.%d.s4d.", i)
		f := func(k string) []float64 {
			v, err := sd[k].Float64()
			require.NoError(t, err)
			return v
		}
		logDT, logAR, AI, C := f(p+"log_dt"), f(p+"log_A_real"), f(p+"A_imag"), f(p+"C")
		H, N := 8, 2
		want := make([][]float64, H)
		for h := 0; h < H; h++ {
			want[h] = make([]float64, 32)
			for n := 0; n < N; n++ {
				A := complex(-math.Exp(logAR[h*N+n]), AI[h*N+n])
				dtA := complex(math.Exp(logDT[h]), 0) * A
				Cp := complex(C[2*(h*N+n)], C[2*(h*N+n)+1]) * (cmplx.Exp(dtA) - 1) / A
				for l := range want[h] {
					want[h][l] += 2 * real(Cp*cmplx.Exp(dtA*complex(float64(l), 0)))
				}
			}
		}
		assertKernel(t, want, s.kernel(32, false), fmt.Sprintf("ref layer %d", i))
		// neuron parameters: theta = exp(log_theta), rho = exp(log_rho)
		for _, q := range []struct{ key, name string }{{"log_theta", "theta"}, {"log_rho", "rho"}, {"tau", "tau"}, {"beta", "beta"}} {
			src := f(fmt.Sprintf("layers.%d.neuron.%s", i, q.key))
			tt, ok := m.Tensor(fmt.Sprintf("layer%d.neuron.%s", i, q.name))
			require.True(t, ok, q.name)
			got, err := tt.Float32()
			require.NoError(t, err)
			for h := range src {
				w := src[h]
				if strings.HasPrefix(q.key, "log_") {
					w = math.Exp(w)
				}
				assert.InDelta(t, w, float64(got[h]), 1e-6*math.Abs(w), q.name)
			}
		}
	}
}

// ---- failure modes ----

func mustConv(t *testing.T, name, file string, opt Options) *conv {
	t.Helper()
	path := filepath.Join(refDir, name, file)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	c, err := newConv(data, path, opt)
	require.NoError(t, err)
	return c
}

func TestMissingAndUnusedTensors(t *testing.T) {
	c := mustConv(t, "s4d_example", "ckpt.pth", Options{})
	delete(c.sd, "s4_layers.1.kernel.log_A_real")
	_, err := c.run()
	require.ErrorContains(t, err, "s4_layers.1.kernel.log_A_real")
	require.ErrorContains(t, err, "missing")

	c = mustConv(t, "s4d_example", "ckpt.pth", Options{})
	c.sd["s4_layers.0.extra"] = &torchfile.Tensor{Name: "s4_layers.0.extra", DType: "float32", Shape: []int{1}, Data: []float32{1}}
	c.keys = append(c.keys, "s4_layers.0.extra")
	_, err = c.run()
	require.ErrorContains(t, err, "s4_layers.0.extra")
	require.ErrorContains(t, err, "--allow-unused")

	c = mustConv(t, "s4d_example", "ckpt.pth", Options{AllowUnused: true})
	c.sd["s4_layers.0.extra"] = &torchfile.Tensor{Name: "s4_layers.0.extra", DType: "float32", Shape: []int{1}, Data: []float32{1}}
	c.keys = append(c.keys, "s4_layers.0.extra")
	res, err := c.run()
	require.NoError(t, err)
	assert.Equal(t, []string{"s4_layers.0.extra"}, res.Unused)
}

func TestBadTensors(t *testing.T) {
	c := mustConv(t, "s4d_example", "ckpt.pth", Options{})
	bad := *c.sd["s4_layers.0.kernel.log_dt"]
	v := append([]float32(nil), bad.Data.([]float32)...)
	v[3] = float32(math.NaN())
	bad.Data = v
	c.sd["s4_layers.0.kernel.log_dt"] = &bad
	_, err := c.run()
	require.ErrorContains(t, err, "s4_layers.0.kernel.log_dt")

	c = mustConv(t, "s4d_example", "ckpt.pth", Options{})
	wrong := *c.sd["s4_layers.0.kernel.A_imag"]
	wrong.Shape = []int{16, 32}
	c.sd["s4_layers.0.kernel.A_imag"] = &wrong
	_, err = c.run()
	require.ErrorContains(t, err, "s4_layers.0.kernel.A_imag")
	require.ErrorContains(t, err, "shape")
}

// Hyper-parameters that only the config records: without hyper_parameters
// the conversion fails naming the flag; with --config it succeeds.
func TestHyperParameterSources(t *testing.T) {
	c := mustConv(t, "s4block_diag", "last.ckpt", Options{})
	c.hp = nil
	_, err := c.run()
	require.ErrorContains(t, err, "--config")

	cfg := filepath.Join(refDir, "s4block_diag", "config.yaml")
	c = mustConv(t, "s4block_diag", "last.ckpt", Options{ConfigPath: cfg})
	c.hp = nil
	res, err := c.run()
	require.NoError(t, err)
	assert.Equal(t, ArchS4Block, res.Arch)

	// dt_transform missing everywhere names it
	c = mustConv(t, "s4block_diag", "last.ckpt", Options{})
	delete(c.hp["model"].(map[string]any)["layer"].(map[string]any), "dt_transform")
	_, err = c.run()
	require.ErrorContains(t, err, "dt_transform")

	// spiking: prenorm comes from the flag when the file lacks it
	c = mustConv(t, "spikingssm_sdn", "last.ckpt", Options{})
	delete(c.hp["model"].(map[string]any), "prenorm")
	_, err = c.run()
	require.ErrorContains(t, err, "--prenorm")
	yes := true
	c = mustConv(t, "spikingssm_sdn", "last.ckpt", Options{Prenorm: &yes})
	delete(c.hp["model"].(map[string]any), "prenorm")
	_, err = c.run()
	require.NoError(t, err)

	_, err = ConvertFile(filepath.Join(refDir, "s4block_diag", "last.ckpt"), Options{ConfigPath: "testdata/nope.yaml"})
	require.ErrorContains(t, err, "nope.yaml")
}

func TestPostnormQuirkRecorded(t *testing.T) {
	res, m := convertCase(t, refCases[4])
	joined := strings.Join(res.Notes, "\n")
	assert.Contains(t, joined, "post-norm quirk")
	assert.Contains(t, m.Metadata()["semantics.notes"], "discards")
	g, _ := m.Graph(format.GraphSequence)
	for _, n := range g.Nodes {
		assert.NotEqual(t, "LayerNorm", n.Op)
		assert.NotEqual(t, "BatchNorm", n.Op)
	}
}

func TestArchErrors(t *testing.T) {
	_, err := ConvertFile(filepath.Join(refDir, "s4d_example", "ckpt.pth"), Options{Arch: "mamba"})
	require.ErrorContains(t, err, "mamba")
	_, err = ConvertFile("../testdata/checkpoints/nir/nmnist_cnn_lightning_1.6.5.ckpt", Options{})
	require.ErrorContains(t, err, "--arch")
	// snnTorch state dicts and NIR (HDF5) files go to package convert/nir
	res, err := ConvertFile("../testdata/checkpoints/nir/snntorch_model_noDelay_bias_ref_zero.pt", Options{})
	require.NoError(t, err)
	assert.Equal(t, "snntorch", res.Arch)
	_, err = ConvertFile("../testdata/checkpoints/nir/lif_norse.nir", Options{})
	require.ErrorContains(t, err, "time step")
	res, err = ConvertFile("../testdata/checkpoints/nir/lif_norse.nir", Options{DT: 1e-4})
	require.NoError(t, err)
	assert.Equal(t, "nir", res.Arch)
	data, err := res.Bytes()
	require.NoError(t, err)
	m, err := format.FromBytes(data)
	require.NoError(t, err)
	assert.Equal(t, "nir", m.Metadata()["source.arch"])
	_, err = ConvertFile("does-not-exist.pth", Options{})
	require.Error(t, err)
	// wrong mapper for the tensors
	_, err = ConvertFile(filepath.Join(refDir, "s4d_example", "ckpt.pth"), Options{Arch: ArchSpikingSSM})
	require.Error(t, err)
	// spikessm_ref without hparams.json
	_, err = ConvertFile(filepath.Join(refDir, "s4d_example", "ckpt.pth"), Options{Arch: ArchSpikeSSMRef})
	require.ErrorContains(t, err, "hparams.json")
}

func TestProgress(t *testing.T) {
	var buf bytes.Buffer
	_, err := ConvertFile(filepath.Join(refDir, "s4d_example", "ckpt.pth"), Options{Progress: &buf})
	require.NoError(t, err)
	assert.Contains(t, buf.String(), "layer 2/2")
}

// Truncated checkpoints are errors, never panics.
func TestTruncatedCheckpoint(t *testing.T) {
	path := filepath.Join(refDir, "s4d_example", "ckpt.pth")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	for n := 0; n < len(data); n += 509 {
		c, err := newConv(data[:n], path, Options{})
		if err == nil {
			_, err = c.run()
		}
		assert.Error(t, err, "truncated to %d", n)
	}
}

// FuzzConvert mutates a tiny legacy-format S4D checkpoint (small seeds keep
// the fuzzer mutating instead of minimising).
func FuzzConvert(f *testing.F) {
	data, err := os.ReadFile("testdata/tiny_s4d_legacy.pth")
	require.NoError(f, err)
	f.Add(data)
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := newConv(data, "fuzz.pth", Options{AllowUnused: true})
		if err != nil {
			return
		}
		_, _ = c.run()
	})
}

func TestTinyLegacyCheckpoint(t *testing.T) {
	res, err := ConvertFile("testdata/tiny_s4d_legacy.pth", Options{})
	require.NoError(t, err)
	assert.Equal(t, ArchS4DExample, res.Arch)
	data, err := res.Bytes()
	require.NoError(t, err)
	m, err := format.FromBytes(data)
	require.NoError(t, err)
	require.NoError(t, m.Validate())
	assert.Equal(t, "legacy", m.Metadata()["source.container"])
	assert.Equal(t, int64(3), m.Metadata()["task.classes"])
	// a = exp(dt·A) with dt = exp(-3), A = -exp(-0.7) + 3.14i (values of gen_ref.py)
	s := storedS4D(t, m, "layer0.s4d")
	want := cmplx.Exp(complex(math.Exp(-3), 0) * complex(-math.Exp(-0.7), float64(float32(3.14))))
	assert.InDelta(t, real(want), real(s.a[0]), 1e-6)
	assert.InDelta(t, imag(want), imag(s.a[0]), 1e-6)
}
