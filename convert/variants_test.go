package convert

import (
	"fmt"
	"math"
	"math/cmplx"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spikessm/spikessm/convert/torchfile"
	"github.com/spikessm/spikessm/format"
)

func runModel(t *testing.T, c *conv) *format.Model {
	t.Helper()
	res, err := c.run()
	require.NoError(t, err)
	data, err := res.Bytes()
	require.NoError(t, err)
	m, err := format.FromBytes(data)
	require.NoError(t, err)
	require.NoError(t, m.Validate())
	return m
}

func f32T(name string, shape []int, v []float64) *torchfile.Tensor {
	d := make([]float32, len(v))
	for i, x := range v {
		d[i] = float32(x)
	}
	return &torchfile.Tensor{Name: name, DType: "float32", Shape: shape, Data: d}
}

func (c *conv) replace(old, nw string, t *torchfile.Tensor) {
	delete(c.sd, old)
	for i, k := range c.keys {
		if k == old {
			c.keys = append(c.keys[:i], c.keys[i+1:]...)
			break
		}
	}
	t.Name = nw
	c.sd[nw] = t
	c.keys = append(c.keys, nw)
}

func vals(t *testing.T, c *conv, k string) []float64 {
	t.Helper()
	v, err := c.sd[k].Float64()
	require.NoError(t, err)
	return append([]float64(nil), v...)
}

func assertSameSSM(t *testing.T, want, got *storedSSM, rel float64, what string) {
	t.Helper()
	for _, p := range []struct {
		n    string
		w, g []complex128
	}{{"a", want.a, got.a}, {"b", want.b, got.b}, {"c", want.c, got.c}} {
		require.Equal(t, len(p.w), len(p.g))
		for i := range p.w {
			assert.LessOrEqual(t, cmplx.Abs(p.w[i]-p.g[i]), rel*cmplx.Abs(p.w[i])+1e-7, "%s %s[%d]: %v vs %v", what, p.n, i, p.w[i], p.g[i])
		}
	}
}

// v3 names (log_dt, log_w_real, w_imag = +Im A, kernel.kernel., layer.kernel)
// map to the same discrete parameters as the v4 checkpoint they rename to.
func TestS4BlockV3Renames(t *testing.T) {
	ref := runModel(t, mustConv(t, "s4block_diag", "last.ckpt", Options{}))
	c := mustConv(t, "s4block_diag", "last.ckpt", Options{})
	for i := 0; i < 2; i++ {
		v4 := fmt.Sprintf("model.layers.%d.layer.layer.kernel.", i)
		v3 := fmt.Sprintf("model.layers.%d.layer.kernel.kernel.", i)
		inv := vals(t, c, v4+"inv_dt")
		logDT := make([]float64, len(inv))
		for h, x := range inv {
			logDT[h] = math.Log(math.Log1p(math.Exp(x))) // exp(log_dt) = softplus(inv_dt)
		}
		ai := vals(t, c, v4+"A_imag")
		for k := range ai {
			ai[k] = -ai[k]
		}
		c.replace(v4+"inv_dt", v3+"log_dt", f32T("", []int{len(inv)}, logDT))
		c.replace(v4+"A_real", v3+"log_w_real", c.sd[v4+"A_real"])
		c.replace(v4+"A_imag", v3+"w_imag", f32T("", []int{1, len(ai)}, ai))
		c.replace(v4+"B", v3+"B", c.sd[v4+"B"])
		c.replace(v4+"C", v3+"C", c.sd[v4+"C"])
		c.replace(fmt.Sprintf("model.layers.%d.layer.layer.D", i), fmt.Sprintf("model.layers.%d.layer.D", i), c.sd[fmt.Sprintf("model.layers.%d.layer.layer.D", i)])
	}
	m := runModel(t, c)
	assert.Contains(t, strings.Join(c.notes, "\n"), "convert_v3_to_v4")
	for i := 0; i < 2; i++ {
		n := fmt.Sprintf("layer%d.s4d", i)
		assertSameSSM(t, storedS4D(t, ref, n), storedS4D(t, m, n), 1e-5, n)
	}
}

// n_ssm rows are broadcast as repeat('t n -> (v t) n'): channel h uses row h % n_ssm.
func TestS4BlockNSSMBroadcast(t *testing.T) {
	ref := runModel(t, mustConv(t, "s4block_diag", "last.ckpt", Options{}))
	c := mustConv(t, "s4block_diag", "last.ckpt", Options{})
	kp := "model.layers.0.layer.layer.kernel."
	ar, ai, b := vals(t, c, kp+"A_real"), vals(t, c, kp+"A_imag"), vals(t, c, kp+"B")
	N := len(ar)
	ar2 := append(append([]float64(nil), ar...), ar...)
	for n := N; n < 2*N; n++ {
		ar2[n] += 0.25 // row 1 decays faster
	}
	c.sd[kp+"A_real"] = f32T(kp+"A_real", []int{2, N}, ar2)
	c.sd[kp+"A_imag"] = f32T(kp+"A_imag", []int{2, N}, append(append([]float64(nil), ai...), ai...))
	c.sd[kp+"B"] = f32T(kp+"B", []int{1, 2, N, 2}, append(append([]float64(nil), b...), b...))
	m := runModel(t, c)
	want, got := storedS4D(t, ref, "layer0.s4d"), storedS4D(t, m, "layer0.s4d")
	for h := 0; h < want.H; h++ {
		for n := 0; n < N; n++ {
			i := h*N + n
			if h%2 == 0 {
				assert.InDelta(t, real(want.a[i]), real(got.a[i]), 1e-7, "h %d", h)
			} else {
				assert.Less(t, cmplx.Abs(got.a[i]), cmplx.Abs(want.a[i]), "h %d uses row 1", h)
			}
		}
	}
}

// Untied dt (H, N/2) with equal columns gives the tied result.
func TestS4BlockUntiedDT(t *testing.T) {
	ref := runModel(t, mustConv(t, "s4block_diag", "last.ckpt", Options{}))
	c := mustConv(t, "s4block_diag", "last.ckpt", Options{})
	kp := "model.layers.1.layer.layer.kernel."
	inv := vals(t, c, kp+"inv_dt")
	N := c.sd[kp+"A_real"].Shape[1]
	wide := make([]float64, 0, len(inv)*N)
	for _, x := range inv {
		for n := 0; n < N; n++ {
			wide = append(wide, x)
		}
	}
	c.sd[kp+"inv_dt"] = f32T(kp+"inv_dt", []int{len(inv), N}, wide)
	m := runModel(t, c)
	assertSameSSM(t, storedS4D(t, ref, "layer1.s4d"), storedS4D(t, m, "layer1.s4d"), 1e-7, "untied")
}

// disc: bilinear uses dA = (1 + dtA/2)/(1 − dtA/2), dB = B·dt/(1 − dtA/2).
func TestS4BlockBilinearAndBandlimit(t *testing.T) {
	c := mustConv(t, "s4block_diag", "last.ckpt", Options{})
	layer := c.hp["model"].(map[string]any)["layer"].(map[string]any)
	layer["disc"] = "bilinear"
	layer["bandlimit"] = 0.2
	kp := "model.layers.0.layer.layer.kernel."
	inv, ar, ai, b, cc := vals(t, c, kp+"inv_dt"), vals(t, c, kp+"A_real"), vals(t, c, kp+"A_imag"), vals(t, c, kp+"B"), vals(t, c, kp+"C")
	m := runModel(t, c)
	assert.Equal(t, "bilinear", m.Metadata()["semantics.discretization"])
	assert.Contains(t, m.Metadata()["semantics.s4d_b"], "folded into c")
	got := storedS4D(t, m, "layer0.s4d")
	N := len(ar)
	masked := 0
	for h := 0; h < got.H; h++ {
		dt := math.Log1p(math.Exp(inv[h]))
		for n := 0; n < N; n++ {
			i := h*N + n
			A := complex(-math.Exp(ar[n]), -ai[n])
			half := complex(dt/2, 0) * A
			wantA := (1 + half) / (1 - half)
			wantB := complex(b[2*n], b[2*n+1]) * complex(dt, 0) / (1 - half)
			assert.LessOrEqual(t, cmplx.Abs(got.a[i]-wantA), 1e-6)
			// b is folded into c (semantics.s4d_b): stored b = 1, c = C·b.
			assert.Equal(t, complex128(1), got.b[i])
			if dt*math.Abs(ai[n])/(2*math.Pi) >= 0.1 {
				masked++
				assert.Equal(t, complex128(0), got.c[i])
			} else {
				wantC := complex(cc[2*i], cc[2*i+1]) * wantB
				assert.LessOrEqual(t, cmplx.Abs(got.c[i]-wantC), 1e-6*cmplx.Abs(wantC)+1e-12)
			}
		}
	}
	assert.Greater(t, masked, 0, "bandlimit 0.2 masks some modes")
}

func TestS4BlockHeaviside(t *testing.T) {
	m := runModel(t, mustConv(t, "s4block_diag", "last.ckpt", Options{Activation: "heaviside"}))
	g, _ := m.Graph(format.GraphSequence)
	ops := map[string]int{}
	for _, n := range g.Nodes {
		ops[n.Op]++
	}
	assert.Equal(t, 2, ops["Heaviside"])
	assert.Equal(t, 0, ops["GELU"])
	_, err := mustConv(t, "s4block_diag", "last.ckpt", Options{Activation: "tanh"}).run()
	require.ErrorContains(t, err, "tanh")
}

// Without the SDN network weights the neuron comes from model.layer.neuron:
// bptt/sltt are the fixed LIF (tau 0.125, threshold 1, hard reset, ge).
func TestSpikingSSMLIFNeuron(t *testing.T) {
	strip := func(c *conv) {
		var keep []string
		for _, k := range c.keys {
			if strings.Contains(k, ".neuron.model.") {
				delete(c.sd, k)
				continue
			}
			keep = append(keep, k)
		}
		c.keys = keep
	}
	c := mustConv(t, "spikingssm_sdn", "last.ckpt", Options{})
	strip(c)
	_, err := c.run()
	require.ErrorContains(t, err, "model.layer.neuron")

	c = mustConv(t, "spikingssm_sdn", "last.ckpt", Options{})
	strip(c)
	c.hp["model"].(map[string]any)["layer"].(map[string]any)["neuron"] = "bptt"
	m := runModel(t, c)
	g, _ := m.Graph(format.GraphSequence)
	found := 0
	for _, n := range g.Nodes {
		if n.Op == "SpikingNeuron" {
			found++
			assert.Equal(t, "hard", n.Attrs["reset"])
			assert.Equal(t, "ge", n.Attrs["compare"])
			tau, _ := m.Tensor(n.Inputs[1])
			tv, err := tau.Float32()
			require.NoError(t, err)
			assert.Equal(t, float32(0.125), tv[0])
		}
	}
	assert.Equal(t, 2, found)
	assert.Equal(t, "hard", m.Metadata()["semantics.reset"])
}

// A prenorm flag on a BatchNorm SpikingSSM emits inference BatchNorm.
func TestSpikingSSMPrenormBatch(t *testing.T) {
	yes := true
	c := mustConv(t, "spikingssm_sdn_long", "last.ckpt", Options{Prenorm: &yes})
	c.hp["model"].(map[string]any)["prenorm"] = true
	m := runModel(t, c)
	g, _ := m.Graph(format.GraphSequence)
	bn := 0
	for _, n := range g.Nodes {
		if n.Op == "BatchNorm" {
			bn++
		}
	}
	assert.Equal(t, 2, bn)
	v, ok := m.Tensor("layer0.norm.running_var")
	require.True(t, ok)
	assert.Equal(t, []int64{32}, v.Shape)
}

func TestS4DExamplePrenormFlag(t *testing.T) {
	yes := true
	m := runModel(t, mustConv(t, "s4d_example", "ckpt.pth", Options{Prenorm: &yes}))
	g, _ := m.Graph(format.GraphSequence)
	outs := map[string]bool{}
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			outs[o] = true
		}
	}
	assert.True(t, outs["layer0.in"])
	assert.False(t, outs["layer0.res"])
	_, err := mustConv(t, "s4d_example", "ckpt.pth", Options{Activation: "relu"}).run()
	require.ErrorContains(t, err, "relu")
}

func TestTransforms(t *testing.T) {
	for _, tc := range []struct {
		kind    string
		in, out float64
	}{{"none", -2, -2}, {"exp", 1, math.E}, {"relu", -1, 1e-4}, {"relu", 2, 2.0001}, {"sigmoid", 0, 0.5}, {"softplus", 0, math.Ln2}, {"softplus", 30, 30}} {
		got, err := transform(tc.in, tc.kind)
		require.NoError(t, err)
		assert.InDelta(t, tc.out, got, 1e-12, tc.kind)
	}
	_, err := transform(1, "cube")
	require.ErrorContains(t, err, "cube")
	_, _, err = discretise(-1, 1, 0.1, "dss")
	require.ErrorContains(t, err, "dss")
}

func TestOptionConflicts(t *testing.T) {
	_, err := mustConv(t, "spikingssm_sdn", "last.ckpt", Options{Activation: "heaviside"}).run()
	require.ErrorContains(t, err, "does not apply")
	_, err = mustConv(t, "binary_s4d", "ckpt.pth", Options{Arch: ArchBinaryS4D, Activation: "gelu"}).run()
	require.ErrorContains(t, err, "Heaviside")
	res, err := mustConv(t, "binary_s4d", "ckpt.pth", Options{Arch: ArchBinaryS4D}).run()
	require.NoError(t, err)
	assert.Equal(t, ArchBinaryS4D, res.Arch)
}

// The decoder mode is never guessed (SequenceDecoder defaults to last, the
// configs use pool).
func TestDecoderModeRequired(t *testing.T) {
	c := mustConv(t, "spikingssm_sdn", "last.ckpt", Options{})
	delete(c.hp, "decoder")
	_, err := c.run()
	require.ErrorContains(t, err, "decoder.mode")
	c = mustConv(t, "spikingssm_sdn", "last.ckpt", Options{})
	c.hp["decoder"].(map[string]any)["mode"] = "last"
	m := runModel(t, c)
	g, _ := m.Graph(format.GraphSequence)
	last := 0
	for _, n := range g.Nodes {
		if n.Op == "LastStep" {
			last++
		}
	}
	assert.Equal(t, 1, last)
}

// A shared threshold ln_vth of shape (1) is broadcast over the channels.
func TestSharedVth(t *testing.T) {
	c := mustConv(t, "spikingssm_sdn", "last.ckpt", Options{})
	k := "model.s4_layers.0.ln_vth"
	c.sd[k] = f32T(k, []int{1}, []float64{0.25})
	m := runModel(t, c)
	tt, ok := m.Tensor("layer0.ln_vth")
	require.True(t, ok)
	v, err := tt.Float32()
	require.NoError(t, err)
	require.Len(t, v, 32)
	for _, x := range v {
		assert.Equal(t, float32(0.25), x)
	}
	c = mustConv(t, "spikingssm_sdn", "last.ckpt", Options{})
	c.sd[k] = f32T(k, []int{3, 2}, []float64{1, 2, 3, 4, 5, 6})
	_, err = c.run()
	require.ErrorContains(t, err, k)
}

// A bidirectional S4Block (C with 2 channels) emits a bidirectional S4D whose
// backward c is C[1], and no step entry point.
func TestS4BlockBidirectional(t *testing.T) {
	ref := runModel(t, mustConv(t, "s4block_diag", "last.ckpt", Options{}))
	c := mustConv(t, "s4block_diag", "last.ckpt", Options{})
	kp := "model.layers.0.layer.layer.kernel."
	cc := vals(t, c, kp+"C")
	back := make([]float64, len(cc))
	for i := range back {
		back[i] = -0.5 * cc[i]
	}
	c.sd[kp+"C"] = f32T(kp+"C", []int{2, 32, 8, 2}, append(append([]float64(nil), cc...), back...))
	m := runModel(t, c)
	_, hasStep := m.Graph(format.GraphStep)
	assert.False(t, hasStep)
	want, got := storedS4D(t, ref, "layer0.s4d"), storedS4D(t, m, "layer0.s4d")
	assertSameSSM(t, want, got, 1e-7, "forward half")
	require.NotNil(t, got.cb)
	for i := range got.cb {
		assert.InDelta(t, -0.5*real(want.c[i]), real(got.cb[i]), 1e-6)
		assert.InDelta(t, -0.5*imag(want.c[i]), imag(got.cb[i]), 1e-6)
	}
	assert.Contains(t, strings.Join(c.notes, "\n"), "bidirectional")
}

// When --config disagrees with the checkpoint's own hyper_parameters, the
// checkpoint wins and the disagreement is noted.
func TestConfigConflictNoted(t *testing.T) {
	cfg := t.TempDir() + "/config.yaml"
	require.NoError(t, os.WriteFile(cfg, []byte("model:\n  layer:\n    dt_transform: exp\n"), 0o644))
	res, err := mustConv(t, "s4block_diag", "last.ckpt", Options{ConfigPath: cfg}).run()
	require.NoError(t, err)
	assert.Contains(t, strings.Join(res.Notes, "\n"), "model.layer.dt_transform: the checkpoint's hyper_parameters say softplus, --config says exp")
}
