package nir

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spikessm/spikessm/convert/hdf5"
	"github.com/spikessm/spikessm/format"
)

// ConverterVersion identifies this converter in the model metadata.
const ConverterVersion = "spikessm-convert-nir 1"

// Discretisations of NIR's continuous-time neurons.
const (
	// Euler is forward Euler, x[t] = x[t−1] + dt·f(x[t−1], input[t]), as
	// NIR's reference simulators (norse, snnTorch import) step LIF/CubaLIF.
	Euler = "euler"
	// ZOH integrates each first-order stage exactly for an input held
	// constant over the step (decay exp(−dt/τ)).
	ZOH = "zoh"
)

// Options controls a conversion.
type Options struct {
	// DT is the simulation time step in seconds. NIR stores none, so it is
	// required for .nir files (the NIR paper and snnTorch's exporter use
	// 1e-4). snnTorch state dicts are discrete-time and ignore it (it is only
	// recorded when set).
	DT float64
	// Discretization is Euler (the default when empty) or ZOH.
	Discretization string
	// Progress, when not nil, receives one line per conversion phase.
	Progress io.Writer
}

func (o *Options) logf(format string, args ...any) {
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "nir: "+format+"\n", args...)
	}
}

// ConvertFile converts the NIR graph in the .nir (HDF5) file at path.
func ConvertFile(path string, opt Options) (*format.Builder, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	b, err := ConvertBytes(data, filepath.Base(path), opt)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}

// ConvertBytes converts a NIR graph held in memory; name is recorded as
// source.file.
func ConvertBytes(data []byte, name string, opt Options) (*format.Builder, error) {
	if !(opt.DT > 0) || math.IsInf(opt.DT, 0) {
		return nil, fmt.Errorf("nir: a time step is required (NIR stores none): set Options.DT (--dt), e.g. 1e-4 as the NIR paper and snnTorch's exporter use; got %v", opt.DT)
	}
	disc := opt.Discretization
	if disc == "" {
		disc = Euler
	}
	if disc != Euler && disc != ZOH {
		return nil, fmt.Errorf("nir: unknown discretization %q (want %q or %q)", disc, Euler, ZOH)
	}
	opt.logf("reading HDF5 (%d bytes)", len(data))
	f, err := hdf5.OpenBytes(data)
	if err != nil {
		return nil, err
	}
	g, version, err := parseFile(f)
	if err != nil {
		return nil, err
	}
	fl, err := flatten(g)
	if err != nil {
		return nil, err
	}
	opt.logf("NIR %s graph: %d nodes, %d edges after inlining nested graphs", version, len(fl.nodes), len(fl.edges))
	e := &emitter{dt: opt.DT, disc: disc, tensors: map[string]bool{}}
	seq, err := e.emitNIR(fl)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	notes := []string{
		fmt.Sprintf("NIR continuous-time neurons discretised with %s at dt = %g s.", disc, opt.DT),
		"LIF/CubaLIF/IF -> OPS.md CubaLIF: i[t] = a_syn*i[t-1] + b_syn*(x[t] + w_rec*s[t-1]); m[t] = a_mem*v[t-1] + b_mem*i[t] + gamma; spike if m > v_threshold (strict, as NIR); v = v_reset after a spike (hard reset, NIR default v_reset 0).",
		"euler: a = 1 - dt/tau, b_mem = dt*r/tau, gamma = dt*v_leak/tau, b_syn = dt*w_in/tau_syn; zoh: a = exp(-dt/tau), b_mem = (1-a)*r, gamma = (1-a)*v_leak, b_syn = (1-a_syn)*w_in; IF: a_mem = 1, b_mem = dt*r; I: LeakyIntegrator alpha 1, beta dt*r.",
		"Threshold -> CubaLIF with a_mem = 0, b_mem = 1, reset none (stateless s = x > threshold). A recurrent Affine/Linear (neuron -> W -> same neuron) becomes CubaLIF w_rec (acting on the previous step's spikes); its bias is added to the neuron input.",
	}
	notes = append(notes, fl.notes...)
	meta := map[string]any{
		"source.file":                 name,
		"source.sha256":               hex.EncodeToString(sum[:]),
		"source.framework":            strings.TrimSpace("nir " + version),
		"source.arch":                 "nir",
		"converter.version":           ConverterVersion,
		"semantics.dt":                opt.DT,
		"semantics.reset":             "hard",
		"semantics.threshold_compare": "gt",
		"nir.discretization":          disc,
		"semantics.notes":             strings.Join(notes, " "),
		"task.input_features":         int64(e.inputFeatures),
	}
	if disc == ZOH {
		meta["semantics.discretization"] = "zoh"
	}
	return e.build(seq, meta, opt)
}

// emitter accumulates the ops and initializers of the sequence graph.
type emitter struct {
	dt            float64
	disc          string
	nodes         []format.Node
	inits         []initializer
	tensors       map[string]bool // every tensor name in use
	inputFeatures int
}

type initializer struct {
	name  string
	shape []int64
	data  []float32
}

func (e *emitter) claim(name string) error {
	if e.tensors[name] {
		return fmt.Errorf("nir: tensor name %q would be defined twice (rename the NIR node)", name)
	}
	e.tensors[name] = true
	return nil
}

func (e *emitter) init(name string, shape []int64, v []float64) (string, error) {
	if err := e.claim(name); err != nil {
		return "", err
	}
	d := make([]float32, len(v))
	for i, x := range v {
		d[i] = float32(x)
		if math.IsNaN(x) || math.IsInf(float64(d[i]), 0) {
			return "", fmt.Errorf("nir: initializer %q[%d] = %v is not a finite float32", name, i, x)
		}
	}
	e.inits = append(e.inits, initializer{name, shape, d})
	return name, nil
}

func (e *emitter) op(name, op string, in, out []string, attrs map[string]any) error {
	for _, o := range out {
		if o == "" {
			continue
		}
		if err := e.claim(o); err != nil {
			return err
		}
	}
	e.nodes = append(e.nodes, format.Node{Name: name, Op: op, Version: 1, Inputs: in, Outputs: out, Attrs: attrs})
	return nil
}

var supported = []string{"Input", "Output", "Flatten", "Affine", "Linear", "Scale", "Threshold", "LIF", "CubaLIF", "IF", "LI", "I", "CubaLI", "NIRGraph"}

func isNeuron(t string) bool { return t == "LIF" || t == "CubaLIF" || t == "IF" }

// knownParams lists the numeric parameters each NIR type may carry; any
// other one is reported rather than ignored.
var knownParams = map[string][]string{
	"Input": {"shape"}, "Output": {"shape"}, "Identity": {"shape"},
	"Flatten": {"start_dim", "end_dim"},
	"Affine":  {"weight", "bias"}, "Linear": {"weight"}, "Scale": {"scale"},
	"Threshold": {"threshold"},
	"LIF":       {"tau", "r", "v_leak", "v_threshold", "v_reset"},
	"CubaLIF":   {"tau_syn", "tau_mem", "r", "v_leak", "v_threshold", "v_reset", "w_in"},
	"IF":        {"r", "v_threshold", "v_reset"},
	"LI":        {"tau", "r", "v_leak"},
	"I":         {"r"},
	"CubaLI":    {"tau_syn", "tau_mem", "r", "v_leak", "w_in"},
}

func checkParams(n *node) error {
	var unknown []string
	for k := range n.params {
		if k == "input_type" || k == "output_type" || contains(knownParams[n.typ], k) {
			continue
		}
		unknown = append(unknown, k)
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("nir: node %q (%s): unknown parameters %v (known: %v)", n.name, n.typ, unknown, knownParams[n.typ])
	}
	return nil
}

func (e *emitter) emitNIR(fl *flat) (format.Graph, error) {
	ins := map[string][]string{}
	outs := map[string][]string{}
	for _, ed := range fl.edges {
		outs[ed[0]] = append(outs[ed[0]], ed[1])
		ins[ed[1]] = append(ins[ed[1]], ed[0])
	}
	var inputs, outputs []string
	for _, name := range fl.order {
		n := fl.nodes[name]
		switch n.typ {
		case "Input":
			inputs = append(inputs, name)
		case "Output":
			outputs = append(outputs, name)
		case "Identity", "Flatten", "Affine", "Linear", "Scale", "Threshold", "LIF", "CubaLIF", "IF", "LI", "I", "CubaLI":
		default:
			return format.Graph{}, fmt.Errorf("nir: node %q: NIR type %q is not supported (supported: %s)", name, n.typ, strings.Join(supported, ", "))
		}
		if err := checkParams(n); err != nil {
			return format.Graph{}, err
		}
	}
	if len(inputs) != 1 {
		return format.Graph{}, fmt.Errorf("nir: graph has %d Input nodes %v; exactly one is supported", len(inputs), inputs)
	}
	if len(outputs) == 0 {
		return format.Graph{}, fmt.Errorf("nir: graph has no Output node")
	}
	// Fold recurrences neuron -> Affine/Linear -> same neuron into w_rec.
	rec := map[string]string{}
	removed := map[string]bool{}
	for _, name := range fl.order {
		n := fl.nodes[name]
		if n.typ != "Affine" && n.typ != "Linear" {
			continue
		}
		src := ins[name]
		if len(src) != 1 || !isNeuron(fl.nodes[src[0]].typ) || !contains(outs[name], src[0]) {
			continue
		}
		nn := src[0]
		if len(outs[name]) != 1 {
			return format.Graph{}, fmt.Errorf("nir: recurrent %s %q of neuron %q also feeds %v; only a pure recurrence is supported", n.typ, name, nn, outs[name])
		}
		if r, dup := rec[nn]; dup {
			return format.Graph{}, fmt.Errorf("nir: neuron %q has two recurrent connections (%q, %q)", nn, r, name)
		}
		rec[nn] = name
		removed[name] = true
		outs[nn] = remove(outs[nn], name)
		ins[nn] = remove(ins[nn], name)
		delete(ins, name)
		delete(outs, name)
	}
	// Topological order (Kahn), stable in name order.
	indeg := map[string]int{}
	for _, name := range fl.order {
		if !removed[name] {
			indeg[name] = len(ins[name])
		}
	}
	var ready, topo []string
	for _, name := range fl.order {
		if !removed[name] && indeg[name] == 0 {
			ready = append(ready, name)
		}
	}
	for len(ready) > 0 {
		sort.Strings(ready)
		n := ready[0]
		ready = ready[1:]
		topo = append(topo, n)
		for _, d := range outs[n] {
			indeg[d]--
			if indeg[d] == 0 {
				ready = append(ready, d)
			}
		}
	}
	if len(topo) != len(indeg) {
		// Nodes left are on a cycle or downstream of one; strip the
		// downstream ones (no successor left) to name the cycle itself.
		left := map[string]bool{}
		for name, d := range indeg {
			if d > 0 {
				left[name] = true
			}
		}
		for changed := true; changed; {
			changed = false
			for name := range left {
				succ := false
				for _, d := range outs[name] {
					succ = succ || left[d]
				}
				if !succ {
					delete(left, name)
					changed = true
				}
			}
		}
		var cyc []string
		for name := range left {
			cyc = append(cyc, name)
		}
		sort.Strings(cyc)
		return format.Graph{}, fmt.Errorf("nir: the graph has a cycle through %v that is not a neuron -> Affine/Linear -> same-neuron recurrence", cyc)
	}

	tensor := map[string]string{} // node -> its output tensor
	chans := map[string]int{}
	var seqOut []format.ValueInfo
	type pendingOut struct {
		x, name string
		c       int
	}
	var pending []pendingOut
	for _, name := range topo {
		n := fl.nodes[name]
		if n.typ == "Input" {
			c, err := shapeSize(n)
			if err != nil {
				return format.Graph{}, err
			}
			if err := e.claim("input"); err != nil {
				return format.Graph{}, err
			}
			tensor[name], chans[name] = "input", c
			e.inputFeatures = c
			continue
		}
		src := ins[name]
		if len(src) == 0 {
			return format.Graph{}, fmt.Errorf("nir: node %q (%s) has no incoming edge", name, n.typ)
		}
		x, c := tensor[src[0]], chans[src[0]]
		for k, s := range src[1:] {
			if chans[s] != c {
				return format.Graph{}, fmt.Errorf("nir: node %q sums inputs of %d (%q) and %d (%q) channels", name, c, src[0], chans[s], s)
			}
			sum := fmt.Sprintf("%s.sum%d", name, k+1)
			if err := e.op(sum, "Add", []string{x, tensor[s]}, []string{sum}, nil); err != nil {
				return format.Graph{}, err
			}
			x = sum
		}
		if n.typ == "Identity" || n.typ == "Flatten" {
			// activations are already flat (B, L, C) in NIR's row-major order
			tensor[name], chans[name] = x, c
			continue
		}
		if n.typ == "Output" {
			if _, ok := n.params["shape"]; ok {
				want, err := shapeSize(n)
				if err != nil {
					return format.Graph{}, err
				}
				if want != c {
					return format.Graph{}, fmt.Errorf("nir: Output %q declares %d features, its input has %d", name, want, c)
				}
			}
			pending = append(pending, pendingOut{x, name, c})
			seqOut = append(seqOut, format.ValueInfo{Name: name, DType: format.F32, Shape: []format.Dim{format.Sym("B"), format.Sym("L"), format.Fixed(int64(c))}})
			tensor[name], chans[name] = name, c
			continue
		}
		var r *node
		if rn, ok := rec[name]; ok {
			r = fl.nodes[rn]
		}
		out, oc, err := e.emitNode(n, x, c, r)
		if err != nil {
			return format.Graph{}, err
		}
		tensor[name], chans[name] = out, oc
	}
	// Name the outputs once every node is emitted, so that renaming a
	// producer's tensor cannot strand a later reader.
	alias := map[string]string{}
	for _, p := range pending {
		x := p.x
		if a, ok := alias[x]; ok {
			x = a
		}
		renamed, err := e.nameOutput(x, p.name, p.c)
		if err != nil {
			return format.Graph{}, err
		}
		if renamed {
			alias[p.x] = p.name
		}
	}
	return format.Graph{
		Name:    format.GraphSequence,
		Inputs:  []format.ValueInfo{{Name: "input", DType: format.F32, Shape: []format.Dim{format.Sym("B"), format.Sym("L"), format.Fixed(int64(e.inputFeatures))}}},
		Outputs: seqOut,
		Nodes:   e.nodes,
	}, nil
}

// nameOutput makes tensor x available under the graph output name out:
// the producing node's output is renamed when nothing else reads it,
// otherwise an Add of zeros copies it.
func (e *emitter) nameOutput(x, out string, c int) (renamed bool, err error) {
	if x == out {
		return false, nil
	}
	if x != "input" && !e.tensors[out] {
		var prod *format.Node
		readers := 0
		for i := range e.nodes {
			for j, o := range e.nodes[i].Outputs {
				if o == x {
					prod = &e.nodes[i]
					_ = j
				}
			}
			for _, in := range e.nodes[i].Inputs {
				if in == x {
					readers++
				}
			}
		}
		if prod != nil && readers == 0 {
			for j, o := range prod.Outputs {
				if o == x {
					prod.Outputs[j] = out
				}
			}
			delete(e.tensors, x)
			e.tensors[out] = true
			return true, nil
		}
	}
	z, err := e.init(out+".zero", []int64{int64(c)}, make([]float64, c))
	if err != nil {
		return false, err
	}
	return false, e.op(out, "Add", []string{x, z}, []string{out}, nil)
}

// maxChannels bounds the feature count of a layer (parameters may be
// scalars broadcast to every channel, so the file size does not bound it).
const maxChannels = 1 << 20

func shapeSize(n *node) (int, error) {
	p, err := n.get("shape")
	if err != nil {
		return 0, err
	}
	c := 1
	for _, v := range p.f64 {
		if v < 1 || v > maxChannels || v != math.Trunc(v) {
			return 0, fmt.Errorf("nir: node %q (%s): shape %v is not a list of positive integers", n.name, n.typ, p.f64)
		}
		c *= int(v)
		if c > maxChannels {
			return 0, fmt.Errorf("nir: node %q (%s): shape %v has more than %d features", n.name, n.typ, p.f64, maxChannels)
		}
	}
	return c, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func remove(list []string, s string) []string {
	out := list[:0:0]
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

// weight returns an Affine/Linear weight (M, K) with K checked against c.
func weight(n *node, c int) ([]float64, int, error) {
	w, err := n.get("weight")
	if err != nil {
		return nil, 0, err
	}
	if len(w.shape) != 2 {
		return nil, 0, fmt.Errorf("nir: node %q (%s): weight has shape %v, want (out, in)", n.name, n.typ, w.shape)
	}
	if w.shape[1] != c {
		return nil, 0, fmt.Errorf("nir: node %q (%s): weight %v expects %d inputs, the incoming tensor has %d features", n.name, n.typ, w.shape, w.shape[1], c)
	}
	return w.f64, w.shape[0], nil
}

// emitNode emits the ops of one NIR node reading tensor x of c channels
// and returns its output tensor and channel count. r is the node's folded
// recurrent Affine/Linear, if any.
func (e *emitter) emitNode(n *node, x string, c int, r *node) (string, int, error) {
	name := n.name
	switch n.typ {
	case "Affine", "Linear":
		w, m, err := weight(n, c)
		if err != nil {
			return "", 0, err
		}
		wn, err := e.init(name+".weight", []int64{int64(m), int64(c)}, w)
		if err != nil {
			return "", 0, err
		}
		in := []string{x, wn}
		if n.typ == "Affine" {
			b, err := n.vec("bias", m)
			if err != nil {
				return "", 0, err
			}
			bn, err := e.init(name+".bias", []int64{int64(m)}, b)
			if err != nil {
				return "", 0, err
			}
			in = append(in, bn)
		}
		return name, m, e.op(name, "Linear", in, []string{name}, nil)
	case "Scale":
		s, err := n.vec("scale", c)
		if err != nil {
			return "", 0, err
		}
		sn, err := e.init(name+".scale", []int64{int64(c)}, s)
		if err != nil {
			return "", 0, err
		}
		return name, c, e.op(name, "Mul", []string{x, sn}, []string{name}, nil)
	case "LI", "I", "CubaLI":
		return e.emitIntegrator(n, x, c)
	case "Threshold", "LIF", "CubaLIF", "IF":
		return e.emitNeuron(n, x, c, r)
	}
	return "", 0, fmt.Errorf("nir: node %q: NIR type %q is not supported", name, n.typ)
}

func fill(c int, v float64) []float64 {
	out := make([]float64, c)
	for i := range out {
		out[i] = v
	}
	return out
}

// decay discretises tau·v' = −v + u over dt: v[t] = a·v[t−1] + k·u[t], and
// returns (a, k) per channel.
func (e *emitter) decay(n *node, key string, c int) (a, k []float64, err error) {
	tau, err := n.vec(key, c)
	if err != nil {
		return nil, nil, err
	}
	a, k = make([]float64, c), make([]float64, c)
	for i, t := range tau {
		if !(t > 0) {
			return nil, nil, fmt.Errorf("nir: node %q (%s): %s[%d] = %g, want > 0", n.name, n.typ, key, i, t)
		}
		if e.disc == ZOH {
			a[i] = math.Exp(-e.dt / t)
			k[i] = -math.Expm1(-e.dt / t)
		} else {
			a[i] = 1 - e.dt/t
			k[i] = e.dt / t
			if a[i] < 0 {
				return nil, nil, fmt.Errorf("nir: node %q (%s): dt = %g exceeds %s[%d] = %g, forward Euler would be unstable; use a smaller dt or the zoh discretization", n.name, n.typ, e.dt, key, i, t)
			}
		}
	}
	return a, k, nil
}

func mulv(a, b []float64) []float64 {
	out := make([]float64, len(a))
	for i := range a {
		out[i] = a[i] * b[i]
	}
	return out
}

// membrane returns alpha_mem, beta_mem, gamma of a (leaky) membrane.
func (e *emitter) membrane(n *node, c int) (am, bm, g []float64, err error) {
	r, err := n.vec("r", c)
	if err != nil {
		return nil, nil, nil, err
	}
	switch n.typ {
	case "IF", "I":
		for i := range r {
			r[i] *= e.dt
		}
		return fill(c, 1), r, fill(c, 0), nil
	}
	key := "tau"
	if n.typ == "CubaLIF" || n.typ == "CubaLI" {
		key = "tau_mem"
	}
	a, k, err := e.decay(n, key, c)
	if err != nil {
		return nil, nil, nil, err
	}
	vl, err := n.vecOr("v_leak", c, 0)
	if err != nil {
		return nil, nil, nil, err
	}
	return a, mulv(k, r), mulv(k, vl), nil
}

// synapse returns alpha_syn, beta_syn of CubaLIF/CubaLI.
func (e *emitter) synapse(n *node, c int) (as, bs []float64, err error) {
	a, k, err := e.decay(n, "tau_syn", c)
	if err != nil {
		return nil, nil, err
	}
	w, err := n.vecOr("w_in", c, 1)
	if err != nil {
		return nil, nil, err
	}
	return a, mulv(k, w), nil
}

func (e *emitter) emitIntegrator(n *node, x string, c int) (string, int, error) {
	name := n.name
	if n.typ == "CubaLI" {
		as, bs, err := e.synapse(n, c)
		if err != nil {
			return "", 0, err
		}
		cur := name + ".i"
		if err := e.leaky(cur, x, as, bs, nil); err != nil {
			return "", 0, err
		}
		x = cur
	}
	am, bm, g, err := e.membrane(n, c)
	if err != nil {
		return "", 0, err
	}
	return name, c, e.leaky(name, x, am, bm, g)
}

func (e *emitter) leaky(name, x string, a, b, g []float64) error {
	c := int64(len(a))
	an, err := e.init(name+".alpha", []int64{c}, a)
	if err != nil {
		return err
	}
	bn, err := e.init(name+".beta", []int64{c}, b)
	if err != nil {
		return err
	}
	in := []string{x, an, bn}
	if g != nil {
		gn, err := e.init(name+".gamma", []int64{c}, g)
		if err != nil {
			return err
		}
		in = append(in, gn)
	}
	return e.op(name, "LeakyIntegrator", in, []string{name}, nil)
}

// neuronParams are the discrete CubaLIF parameters of one layer.
type neuronParams struct {
	alphaSyn, betaSyn, alphaMem, betaMem, gamma, theta, vReset []float64
	reset                                                      string
}

func (e *emitter) nirNeuron(n *node, c int) (*neuronParams, error) {
	p := &neuronParams{reset: "hard"}
	var err error
	switch n.typ {
	case "Threshold":
		if p.theta, err = n.vec("threshold", c); err != nil {
			return nil, err
		}
		p.alphaSyn, p.betaSyn, p.alphaMem, p.betaMem, p.gamma, p.vReset = fill(c, 0), fill(c, 1), fill(c, 0), fill(c, 1), fill(c, 0), fill(c, 0)
		p.reset = "none"
		return p, nil
	case "CubaLIF":
		if p.alphaSyn, p.betaSyn, err = e.synapse(n, c); err != nil {
			return nil, err
		}
	default:
		p.alphaSyn, p.betaSyn = fill(c, 0), fill(c, 1)
	}
	if p.alphaMem, p.betaMem, p.gamma, err = e.membrane(n, c); err != nil {
		return nil, err
	}
	if p.theta, err = n.vec("v_threshold", c); err != nil {
		return nil, err
	}
	if p.vReset, err = n.vecOr("v_reset", c, 0); err != nil {
		return nil, err
	}
	return p, nil
}

func (e *emitter) emitNeuron(n *node, x string, c int, r *node) (string, int, error) {
	p, err := e.nirNeuron(n, c)
	if err != nil {
		return "", 0, err
	}
	var wrec []float64
	if r != nil {
		w, m, err := weight(r, c)
		if err != nil {
			return "", 0, err
		}
		if m != c {
			return "", 0, fmt.Errorf("nir: recurrent %s %q of %q maps %d to %d channels, want %d to %d", r.typ, r.name, n.name, c, m, c, c)
		}
		wrec = w
		if r.typ == "Affine" {
			b, err := r.vec("bias", c)
			if err != nil {
				return "", 0, err
			}
			bn, err := e.init(r.name+".bias", []int64{int64(c)}, b)
			if err != nil {
				return "", 0, err
			}
			sum := n.name + ".rec_bias"
			if err := e.op(sum, "Add", []string{x, bn}, []string{sum}, nil); err != nil {
				return "", 0, err
			}
			x = sum
		}
	}
	recName := ""
	if r != nil {
		recName = r.name + ".weight"
	}
	return n.name, c, e.cubaLIF(n.name, x, c, p, wrec, recName, "gt")
}

// cubaLIF emits a CubaLIF node with outputs name (spikes) and name+".m"
// (membrane before reset).
func (e *emitter) cubaLIF(name, x string, c int, p *neuronParams, wrec []float64, wrecName, compare string) error {
	in := []string{x}
	sh := []int64{int64(c)}
	for _, kv := range []struct {
		k string
		v []float64
	}{{"alpha_syn", p.alphaSyn}, {"beta_syn", p.betaSyn}, {"alpha_mem", p.alphaMem}, {"beta_mem", p.betaMem}, {"gamma", p.gamma}, {"theta", p.theta}, {"v_reset", p.vReset}} {
		t, err := e.init(name+"."+kv.k, sh, kv.v)
		if err != nil {
			return err
		}
		in = append(in, t)
	}
	if wrec != nil {
		t, err := e.init(wrecName, []int64{int64(c), int64(c)}, wrec)
		if err != nil {
			return err
		}
		in = append(in, t)
	}
	return e.op(name, "CubaLIF", in, []string{name, name + ".m"}, map[string]any{"reset": p.reset, "compare": compare})
}

// build assembles the Builder: metadata, initializers, the sequence graph
// and the derived step graph, and validates the result.
func (e *emitter) build(seq format.Graph, meta map[string]any, opt Options) (*format.Builder, error) {
	b := format.NewBuilder()
	b.SetProducer("spikessm convert/nir", ConverterVersion)
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := b.SetMeta(k, meta[k]); err != nil {
			return nil, err
		}
	}
	for _, in := range e.inits {
		if err := b.AddFloat32(in.name, in.shape, in.data); err != nil {
			return nil, err
		}
	}
	if err := b.AddGraph(seq); err != nil {
		return nil, err
	}
	step, err := b.DeriveStep(seq)
	if err != nil {
		return nil, fmt.Errorf("nir: deriving the step graph: %w", err)
	}
	if err := b.AddGraph(step); err != nil {
		return nil, err
	}
	raw, err := b.Bytes()
	if err != nil {
		return nil, err
	}
	m, err := format.FromBytes(raw)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("nir: the converted model does not validate: %w", err)
	}
	opt.logf("emitted %d ops, %d tensors; sequence and step graphs validate", len(seq.Nodes), len(e.inits))
	return b, nil
}
