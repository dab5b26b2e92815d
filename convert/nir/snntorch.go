package nir

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spikessm/spikessm/convert/torchfile"
	"github.com/spikessm/spikessm/format"
)

// snnTorch reset_mechanism_val (SpikingNeuron.reset_dict).
var snnReset = map[int64]string{0: "soft", 1: "hard", 2: "none"}

// snnModule is one module of a snnTorch state dict, keyed by prefix.
type snnModule struct {
	prefix string
	keys   map[string]*torchfile.Tensor // suffix -> tensor
}

// ConvertSnnTorch converts a snnTorch state dict (torch.save(net.state_dict())
// of a feed-forward net of nn.Linear layers and Leaky / Synaptic / RLeaky /
// RSynaptic neurons, in state-dict order) into a .ssm model. The neuron
// hyper-parameters (beta, alpha, threshold, graded_spikes_factor,
// reset_mechanism_val) are buffers of the state dict. When a
// parameters_<name>.json from the same training run sits beside the file
// (snntorch_model_<name>.pt or model_<name>.pt), its alpha/beta/nb_hidden are
// checked against the state dict.
func ConvertSnnTorch(path string, opt Options) (*format.Builder, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	b, err := convertSnnTorch(data, path, opt)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}

func convertSnnTorch(data []byte, path string, opt Options) (*format.Builder, error) {
	ck, err := torchfile.Parse(data, filepath.Base(path))
	if err != nil {
		return nil, err
	}
	sd, keys, err := ck.StateDict()
	if err != nil {
		return nil, err
	}
	opt.logf("snnTorch state dict: %d tensors", len(keys))
	// Group keys into modules, in first-appearance order.
	var mods []*snnModule
	byPrefix := map[string]*snnModule{}
	for _, k := range keys {
		prefix, suffix := k, ""
		if i := strings.Index(k, ".recurrent."); i >= 0 {
			prefix, suffix = k[:i], k[i+1:]
		} else if i := strings.LastIndexByte(k, '.'); i >= 0 {
			prefix, suffix = k[:i], k[i+1:]
		}
		m := byPrefix[prefix]
		if m == nil {
			m = &snnModule{prefix: prefix, keys: map[string]*torchfile.Tensor{}}
			byPrefix[prefix] = m
			mods = append(mods, m)
		}
		m.keys[suffix] = sd[k]
	}
	if len(mods) == 0 {
		return nil, errors.New("nir: empty snnTorch state dict")
	}
	e := &emitter{tensors: map[string]bool{}}
	x, c := "input", 0
	if err := e.claim("input"); err != nil {
		return nil, err
	}
	var neurons []snnNeuronInfo
	var notes []string
	for i, m := range mods {
		_, isNeuron := m.keys["beta"]
		switch {
		case isNeuron:
			if i == 0 {
				return nil, fmt.Errorf("nir: snnTorch module %q: a neuron as first layer leaves the input width unknown", m.prefix)
			}
			info, err := e.snnNeuron(m, x, c)
			if err != nil {
				return nil, err
			}
			neurons = append(neurons, info)
			x = info.out
		case m.keys["weight"] != nil:
			w := m.keys["weight"]
			if len(w.Shape) != 2 {
				return nil, fmt.Errorf("nir: snnTorch module %q: weight shape %v, only nn.Linear (out, in) layers are supported", m.prefix, w.Shape)
			}
			if i == 0 {
				c = w.Shape[1]
				e.inputFeatures = c
			}
			if w.Shape[1] != c {
				return nil, fmt.Errorf("nir: snnTorch module %q: weight %v expects %d inputs, the previous layer has %d", m.prefix, w.Shape, w.Shape[1], c)
			}
			wv, err := w.Float64()
			if err != nil {
				return nil, fmt.Errorf("nir: %s.weight: %w", m.prefix, err)
			}
			wn, err := e.init(m.prefix+".weight", []int64{int64(w.Shape[0]), int64(c)}, wv)
			if err != nil {
				return nil, err
			}
			in := []string{x, wn}
			if bt, ok := m.keys["bias"]; ok {
				bv, err := bt.Float64()
				if err != nil || len(bv) != w.Shape[0] {
					return nil, fmt.Errorf("nir: %s.bias: shape %v, want (%d): %v", m.prefix, bt.Shape, w.Shape[0], err)
				}
				bn, err := e.init(m.prefix+".bias", []int64{int64(w.Shape[0])}, bv)
				if err != nil {
					return nil, err
				}
				in = append(in, bn)
			}
			for k := range m.keys {
				if k != "weight" && k != "bias" {
					return nil, fmt.Errorf("nir: snnTorch module %q: unexpected tensor %q", m.prefix, m.prefix+"."+k)
				}
			}
			if err := e.op(m.prefix, "Linear", in, []string{m.prefix}, nil); err != nil {
				return nil, err
			}
			x, c = m.prefix, w.Shape[0]
		default:
			var names []string
			for k := range m.keys {
				names = append(names, m.prefix+"."+k)
			}
			sort.Strings(names)
			return nil, fmt.Errorf("nir: snnTorch state dict: tensors %v belong to no supported module (nn.Linear, Leaky, Synaptic, RLeaky, RSynaptic)", names)
		}
	}
	if _, err := e.nameOutput(x, "output", c); err != nil {
		return nil, err
	}
	seq := format.Graph{
		Name:    format.GraphSequence,
		Inputs:  []format.ValueInfo{{Name: "input", DType: format.F32, Shape: []format.Dim{format.Sym("B"), format.Sym("L"), format.Fixed(int64(e.inputFeatures))}}},
		Outputs: []format.ValueInfo{{Name: "output", DType: format.F32, Shape: []format.Dim{format.Sym("B"), format.Sym("L"), format.Fixed(int64(c))}}},
		Nodes:   e.nodes,
	}
	if note, err := checkSnnParams(path, neurons); err != nil {
		return nil, err
	} else if note != "" {
		notes = append(notes, note)
	}
	resets := map[string]bool{}
	for _, n := range neurons {
		resets[n.reset] = true
	}
	var rs []string
	for r := range resets {
		rs = append(rs, r)
	}
	sort.Strings(rs)
	sum := sha256.Sum256(data)
	notes = append([]string{
		"snnTorch Leaky/Synaptic (and R- variants) -> OPS.md CubaLIF with alpha_syn = clamp(alpha,0,1) (0 for Leaky), beta_syn = 1, alpha_mem = clamp(beta,0,1), beta_mem = 1, gamma = 0, theta = threshold, v_reset = 0; spike if mem > threshold (snnTorch's heaviside is strict).",
		"reset_mechanism subtract -> reset soft (v = m - theta), zero -> hard (v = 0), none -> none. spikessm applies the reset in the step that spikes (NIR semantics); snnTorch's default reset_delay computes it from the previous step's membrane (and subtracts it undecayed), so spike timings after a reset may differ from snnTorch's own simulation.",
		"A recurrent nn.Linear (RLeaky/RSynaptic all_to_all) becomes CubaLIF w_rec on the previous step's spikes; its bias is added to the neuron input. graded_spikes_factor != 1 becomes a Mul after the spikes.",
	}, notes...)
	meta := map[string]any{
		"source.file":                 filepath.Base(path),
		"source.sha256":               hex.EncodeToString(sum[:]),
		"source.framework":            "snntorch (" + ck.Container + " torch file)",
		"source.arch":                 "snntorch",
		"converter.version":           ConverterVersion,
		"semantics.reset":             strings.Join(rs, ","),
		"semantics.threshold_compare": "gt",
		"semantics.notes":             strings.Join(notes, " "),
		"task.input_features":         int64(e.inputFeatures),
	}
	if opt.DT > 0 {
		meta["semantics.dt"] = opt.DT
	} else {
		meta["semantics.dt"] = "discrete (snnTorch steps have no physical dt)"
	}
	return e.build(seq, meta, opt)
}

// snnNeuronInfo records what one neuron layer mapped to.
type snnNeuronInfo struct {
	prefix      string
	out         string
	alpha, beta float64 // first channel (for the parameters json check)
	channels    int
	reset       string
}

func scalarOrVec(m *snnModule, key string, c int, def float64, required bool) ([]float64, error) {
	t, ok := m.keys[key]
	if !ok {
		if required {
			return nil, fmt.Errorf("nir: snnTorch neuron %q: missing %q", m.prefix, m.prefix+"."+key)
		}
		return fill(c, def), nil
	}
	v, err := t.Float64()
	if err != nil {
		return nil, fmt.Errorf("nir: %s.%s: %w", m.prefix, key, err)
	}
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("nir: %s.%s[%d] is %v", m.prefix, key, i, x)
		}
	}
	switch len(v) {
	case 1:
		return fill(c, v[0]), nil
	case c:
		return v, nil
	}
	return nil, fmt.Errorf("nir: %s.%s has shape %v, want a scalar or (%d)", m.prefix, key, t.Shape, c)
}

func clamp01(v []float64) []float64 {
	for i, x := range v {
		v[i] = math.Min(1, math.Max(0, x))
	}
	return v
}

func (e *emitter) snnNeuron(m *snnModule, x string, c int) (snnNeuronInfo, error) {
	known := map[string]bool{"beta": true, "alpha": true, "threshold": true, "graded_spikes_factor": true, "reset_mechanism_val": true, "recurrent.weight": true, "recurrent.bias": true}
	for k := range m.keys {
		if !known[k] {
			return snnNeuronInfo{}, fmt.Errorf("nir: snnTorch neuron %q: unsupported tensor %q (only Leaky, Synaptic, RLeaky, RSynaptic with all_to_all recurrence are supported)", m.prefix, m.prefix+"."+k)
		}
	}
	beta, err := scalarOrVec(m, "beta", c, 0, true)
	if err != nil {
		return snnNeuronInfo{}, err
	}
	alpha, err := scalarOrVec(m, "alpha", c, 0, false)
	if err != nil {
		return snnNeuronInfo{}, err
	}
	theta, err := scalarOrVec(m, "threshold", c, 1, false)
	if err != nil {
		return snnNeuronInfo{}, err
	}
	graded, err := scalarOrVec(m, "graded_spikes_factor", c, 1, false)
	if err != nil {
		return snnNeuronInfo{}, err
	}
	reset := "soft" // snnTorch default reset_mechanism "subtract"
	if t, ok := m.keys["reset_mechanism_val"]; ok {
		iv, err := t.Float64()
		if err != nil || len(iv) != 1 {
			return snnNeuronInfo{}, fmt.Errorf("nir: %s.reset_mechanism_val must be a scalar: %v", m.prefix, err)
		}
		r, ok := snnReset[int64(iv[0])]
		if !ok || iv[0] != math.Trunc(iv[0]) {
			return snnNeuronInfo{}, fmt.Errorf("nir: %s.reset_mechanism_val = %v, want 0 (subtract), 1 (zero) or 2 (none)", m.prefix, iv[0])
		}
		reset = r
	}
	p := &neuronParams{
		alphaSyn: clamp01(alpha), betaSyn: fill(c, 1), alphaMem: clamp01(beta), betaMem: fill(c, 1),
		gamma: fill(c, 0), theta: theta, vReset: fill(c, 0), reset: reset,
	}
	var wrec []float64
	if wt, ok := m.keys["recurrent.weight"]; ok {
		if len(wt.Shape) != 2 || wt.Shape[0] != c || wt.Shape[1] != c {
			return snnNeuronInfo{}, fmt.Errorf("nir: %s.recurrent.weight has shape %v, want (%d, %d)", m.prefix, wt.Shape, c, c)
		}
		if wrec, err = wt.Float64(); err != nil {
			return snnNeuronInfo{}, err
		}
		if bt, ok := m.keys["recurrent.bias"]; ok {
			bv, err := bt.Float64()
			if err != nil || len(bv) != c {
				return snnNeuronInfo{}, fmt.Errorf("nir: %s.recurrent.bias: shape %v, want (%d): %v", m.prefix, bt.Shape, c, err)
			}
			bn, err := e.init(m.prefix+".recurrent.bias", []int64{int64(c)}, bv)
			if err != nil {
				return snnNeuronInfo{}, err
			}
			sum := m.prefix + ".rec_bias"
			if err := e.op(sum, "Add", []string{x, bn}, []string{sum}, nil); err != nil {
				return snnNeuronInfo{}, err
			}
			x = sum
		}
	} else if _, ok := m.keys["recurrent.bias"]; ok {
		return snnNeuronInfo{}, fmt.Errorf("nir: %s.recurrent.bias without recurrent.weight", m.prefix)
	}
	if err := e.cubaLIF(m.prefix, x, c, p, wrec, m.prefix+".recurrent.weight", "gt"); err != nil {
		return snnNeuronInfo{}, err
	}
	out := m.prefix
	ones := true
	for _, g := range graded {
		if g != 1 {
			ones = false
		}
	}
	if !ones {
		gn, err := e.init(m.prefix+".graded_spikes_factor", []int64{int64(c)}, graded)
		if err != nil {
			return snnNeuronInfo{}, err
		}
		out = m.prefix + ".graded"
		if err := e.op(out, "Mul", []string{m.prefix, gn}, []string{out}, nil); err != nil {
			return snnNeuronInfo{}, err
		}
	}
	return snnNeuronInfo{prefix: m.prefix, out: out, alpha: p.alphaSyn[0], beta: p.alphaMem[0], channels: c, reset: reset}, nil
}

// checkSnnParams cross-checks the neurons against parameters_<name>.json of
// the NIR paper's training scripts when it exists beside the state dict.
func checkSnnParams(path string, neurons []snnNeuronInfo) (string, error) {
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	i := strings.Index(base, "model_")
	if i < 0 {
		return "", nil
	}
	pj := filepath.Join(filepath.Dir(path), "parameters_"+base[i+len("model_"):]+".json")
	raw, err := os.ReadFile(pj)
	if err != nil {
		return "", nil // no parameters file: nothing to check
	}
	var p map[string]float64
	if err := json.Unmarshal(raw, &p); err != nil {
		return "", fmt.Errorf("nir: %s: %w", pj, err)
	}
	if len(neurons) < 2 {
		return "", fmt.Errorf("nir: %s describes a hidden and an output layer; the state dict has %d neuron layers", pj, len(neurons))
	}
	h, o := neurons[0], neurons[len(neurons)-1]
	checks := []struct {
		key  string
		have float64
	}{{"alpha_r", h.alpha}, {"beta_r", h.beta}, {"alpha_out", o.alpha}, {"beta_out", o.beta}, {"nb_hidden", float64(h.channels)}}
	for _, ck := range checks {
		want, ok := p[ck.key]
		if !ok {
			continue
		}
		if math.Abs(want-ck.have) > 1e-6*math.Max(1, math.Abs(want)) {
			return "", fmt.Errorf("nir: %s: %s = %v, the state dict has %v", pj, ck.key, want, ck.have)
		}
	}
	return fmt.Sprintf("Neuron parameters agree with %s.", filepath.Base(pj)), nil
}
