package convert

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spikessm/spikessm/convert/nir"
	"github.com/spikessm/spikessm/convert/torchfile"
	"github.com/spikessm/spikessm/format"
)

// Version is the converter version recorded in metadata (converter.version).
const Version = "0.1.0"

// Options steers a conversion. Zero values mean "take it from the file".
type Options struct {
	// Arch forces the mapper: "" = detect from the file; s4d_example |
	// s4block | spikingssm | binary_s4d | spikessm_ref | snntorch | nir
	// (the last two, and HDF5 files, are handed to package convert/nir).
	Arch string
	// ConfigPath is a Hydra config.yaml supplying hyper-parameters the
	// checkpoint lacks (the checkpoint's own hyper_parameters win).
	ConfigPath string
	// Activation overrides the S4D activation, e.g. "heaviside" for binary
	// S4D, whose checkpoint does not record it; "gelu" is the upstream one.
	Activation string
	// Prenorm overrides the pre-/post-norm choice when neither file nor
	// config says.
	Prenorm *bool
	// DT is the NIR time step in seconds (required for .nir files, recorded
	// for snnTorch ones; unused by the PyTorch SSM mappers).
	DT float64
	// AllowUnused lists checkpoint tensors no mapper used in Result.Unused
	// instead of failing.
	AllowUnused bool
	// Progress receives one line per conversion stage; nil = quiet.
	Progress io.Writer
}

// Result is a converted model, ready to be written.
type Result struct {
	// Builder holds the model; call Bytes or Builder.WriteFile.
	Builder *format.Builder
	// Arch is the mapper used.
	Arch string
	// Unused lists checkpoint tensors that were not mapped (only with
	// Options.AllowUnused; otherwise they are an error).
	Unused []string
	// Notes lists the conventions and choices made (also in metadata
	// semantics.notes).
	Notes []string
}

// Bytes serialises the converted model.
func (r *Result) Bytes() ([]byte, error) { return r.Builder.Bytes() }

// Architecture names accepted by Options.Arch.
const (
	ArchS4DExample  = "s4d_example"
	ArchS4Block     = "s4block"
	ArchSpikingSSM  = "spikingssm"
	ArchBinaryS4D   = "binary_s4d"
	ArchSpikeSSMRef = "spikessm_ref"
)

// ConvertFile converts the PyTorch checkpoint at path.
func ConvertFile(path string, opt Options) (*Result, error) {
	progress(opt, "reading %s", path)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("convert: %w", err)
	}
	isHDF5 := bytes.HasPrefix(data, []byte("\x89HDF\r\n\x1a\n"))
	if opt.Arch == "nir" || (opt.Arch == "" && isHDF5) {
		b, err := nir.ConvertFile(path, nir.Options{DT: opt.DT, Progress: opt.Progress})
		if err != nil {
			return nil, fmt.Errorf("convert: %w", err)
		}
		return &Result{Builder: b, Arch: "nir"}, nil
	}
	c, err := newConv(data, path, opt)
	if err != nil {
		return nil, err
	}
	if opt.Arch == "snntorch" || (opt.Arch == "" && c.looksSnnTorch()) {
		b, err := nir.ConvertSnnTorch(path, nir.Options{DT: opt.DT, Progress: opt.Progress})
		if err != nil {
			return nil, fmt.Errorf("convert: %w", err)
		}
		return &Result{Builder: b, Arch: "snntorch"}, nil
	}
	return c.run()
}

// looksSnnTorch tells a snnTorch state dict by its neuron buffers.
func (c *conv) looksSnnTorch() bool {
	return anySuffix(c.keys, ".reset_mechanism_val") || anySuffix(c.keys, ".graded_spikes_factor")
}

// newConv parses a checkpoint and its hyper-parameter sources.
func newConv(data []byte, path string, opt Options) (*conv, error) {
	ck, err := torchfile.Parse(data, path)
	if err != nil {
		return nil, fmt.Errorf("convert: %w", err)
	}
	sd, keys, err := ck.StateDict()
	if err != nil {
		return nil, fmt.Errorf("convert: %w", err)
	}
	c := &conv{
		path: path, opt: opt, ck: ck, sd: sd, keys: keys, used: map[string]bool{},
		b: format.NewBuilder(),
	}
	sum := sha256.Sum256(data)
	c.sha = hex.EncodeToString(sum[:])
	if hp, ok := ck.HyperParameters(); ok {
		c.hp = hp
	}
	if opt.ConfigPath != "" {
		cfg, err := loadYAML(opt.ConfigPath)
		if err != nil {
			return nil, fmt.Errorf("convert: --config %s: %w", opt.ConfigPath, err)
		}
		c.cfg = cfg
	}
	return c, nil
}

// run maps the state dict and assembles the model.
func (c *conv) run() (res *Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, fmt.Errorf("convert: %s: internal error while mapping (%v)", c.path, r)
		}
	}()
	opt := c.opt
	arch := opt.Arch
	if arch == "" {
		arch, err = c.detect()
		if err != nil {
			return nil, err
		}
	}
	if arch == ArchS4DExample && strings.EqualFold(opt.Activation, "heaviside") {
		arch = ArchBinaryS4D
	}
	c.arch = arch
	if opt.Activation != "" {
		switch {
		case arch == ArchSpikingSSM || arch == ArchSpikeSSMRef:
			return nil, fmt.Errorf("convert: %s: --activation does not apply to %s (its spiking neuron is part of the checkpoint)", c.path, arch)
		case arch == ArchBinaryS4D && !strings.EqualFold(opt.Activation, "heaviside"):
			return nil, fmt.Errorf("convert: %s: binary_s4d uses a Heaviside activation, not %q", c.path, opt.Activation)
		}
	}
	progress(opt, "mapping %d tensors as %s", len(c.keys), arch)
	switch arch {
	case ArchS4DExample, ArchBinaryS4D:
		err = c.mapS4DExample()
	case ArchS4Block:
		err = c.mapS4Block()
	case ArchSpikingSSM:
		err = c.mapSpikingSSM()
	case ArchSpikeSSMRef:
		err = c.mapSpikeSSMRef()
	case "snntorch", "nir":
		err = fmt.Errorf("architecture %q needs ConvertFile (package convert/nir)", arch)
	default:
		err = fmt.Errorf("unknown architecture %q (want one of s4d_example, s4block, spikingssm, binary_s4d, spikessm_ref)", arch)
	}
	if err != nil {
		return nil, fmt.Errorf("convert: %s: %w", c.path, err)
	}
	res = &Result{Builder: c.b, Arch: arch, Notes: c.notes}
	for _, k := range c.keys {
		if !c.used[k] {
			res.Unused = append(res.Unused, k)
		}
	}
	if len(res.Unused) > 0 && !opt.AllowUnused {
		return nil, fmt.Errorf("convert: %s: %d checkpoint tensors are not used by the %s mapper: %s (pass --allow-unused to list them instead)",
			c.path, len(res.Unused), arch, strings.Join(res.Unused, ", "))
	}
	if err := c.finish(res); err != nil {
		return nil, fmt.Errorf("convert: %s: %w", c.path, err)
	}
	progress(opt, "done: %d nodes", len(c.nodes))
	return res, nil
}

func progress(opt Options, f string, args ...any) {
	if opt.Progress != nil {
		fmt.Fprintf(opt.Progress, "convert: "+f+"\n", args...)
	}
}

// conv is the state of one conversion.
type conv struct {
	path, sha string
	opt       Options
	ck        *torchfile.Checkpoint
	sd        map[string]*torchfile.Tensor
	keys      []string
	used      map[string]bool
	hp, cfg   map[string]any
	conflicts map[string]bool
	arch      string

	b       *format.Builder
	nodes   []format.Node
	notes   []string
	meta    [][2]any
	foldedB bool // semantics.s4d_b is set (emitS4D)
	causal  bool
	inputF  int
	classes int
}

func (c *conv) note(f string, args ...any) { c.notes = append(c.notes, fmt.Sprintf(f, args...)) }

func (c *conv) setMeta(k string, v any) { c.meta = append(c.meta, [2]any{k, v}) }

// detect picks the mapper from the state-dict keys (and hyper-parameters).
func (c *conv) detect() (string, error) {
	has := func(k string) bool { _, ok := c.sd[k]; return ok }
	hasPrefix := func(p string) bool {
		for _, k := range c.keys {
			if strings.HasPrefix(k, p) {
				return true
			}
		}
		return false
	}
	switch {
	case has("layers.0.neuron.log_theta") && has("layers.0.s4d.log_dt"):
		return ArchSpikeSSMRef, nil
	case has("s4_layers.0.kernel.log_dt") && has("encoder.weight"):
		return ArchS4DExample, nil
	case hasPrefix("model.s4_layers.0."):
		return ArchSpikingSSM, nil
	case hasPrefix("model.layers.0.layer."):
		return ArchS4Block, nil
	}
	first := c.keys
	if len(first) > 8 {
		first = first[:8]
	}
	return "", fmt.Errorf("convert: %s: cannot tell the architecture from the state dict (first keys: %s); pass --arch", c.path, strings.Join(first, ", "))
}

func anySuffix(keys []string, s string) bool {
	for _, k := range keys {
		if strings.HasSuffix(k, s) {
			return true
		}
	}
	return false
}

// finish writes metadata and graphs into the builder.
func (c *conv) finish(res *Result) error {
	c.b.SetProducer("spikessm-convert", Version)
	base := []struct {
		k string
		v any
	}{
		{"source.file", filepath.Base(c.path)},
		{"source.sha256", c.sha},
		{"source.arch", c.arch},
		{"source.container", c.ck.Container},
		{"converter.version", Version},
		{"task.classes", int64(c.classes)},
		{"task.input_features", int64(c.inputF)},
	}
	fw := "pytorch"
	if v := c.ck.LightningVersion(); v != "" {
		fw = "pytorch-lightning " + v
	}
	base = append(base, struct {
		k string
		v any
	}{"source.framework", fw})
	for _, m := range base {
		if err := c.b.SetMeta(m.k, m.v); err != nil {
			return err
		}
	}
	for _, m := range c.meta {
		if err := c.b.SetMeta(m[0].(string), m[1]); err != nil {
			return err
		}
	}
	if len(res.Unused) > 0 {
		if err := c.b.SetMeta("convert.unused_tensors", strings.Join(res.Unused, ",")); err != nil {
			return err
		}
	}
	if len(c.notes) > 0 {
		if err := c.b.SetMeta("semantics.notes", strings.Join(c.notes, "\n")); err != nil {
			return err
		}
	}
	seq := format.Graph{
		Name:    format.GraphSequence,
		Inputs:  []format.ValueInfo{{Name: "input", DType: format.F32, Shape: []format.Dim{format.Sym("B"), format.Sym("L"), format.Fixed(int64(c.inputF))}}},
		Outputs: []format.ValueInfo{{Name: "logits", DType: format.F32, Shape: []format.Dim{format.Sym("B"), format.Fixed(int64(c.classes))}}},
		Nodes:   c.nodes,
	}
	if err := c.b.AddGraph(seq); err != nil {
		return err
	}
	if c.causal {
		step, err := c.deriveStep(seq)
		if err != nil {
			return fmt.Errorf("deriving the step graph: %w", err)
		}
		if step != nil {
			if err := c.b.AddGraph(*step); err != nil {
				return err
			}
		}
	}
	return nil
}

// ---- state dict access ----

// take returns a checkpoint tensor as float64, checking its shape, and marks
// it used.
func (c *conv) take(key string, shape ...int) ([]float64, error) {
	t, ok := c.sd[key]
	if !ok {
		return nil, fmt.Errorf("tensor %s is missing from the checkpoint", key)
	}
	if shape != nil && !slices.Equal(t.Shape, shape) {
		return nil, fmt.Errorf("tensor %s has shape %v, want %v", key, t.Shape, shape)
	}
	v, err := t.Float64()
	if err != nil {
		return nil, fmt.Errorf("tensor %s: %w", key, err)
	}
	if _, shared := t.Data.([]float64); shared {
		v = append([]float64(nil), v...) // callers may transform in place
	}
	for i, x := range v {
		if x != x || x > 1e300 || x < -1e300 {
			return nil, fmt.Errorf("tensor %s: element %d is %v", key, i, x)
		}
	}
	c.used[key] = true
	return v, nil
}

func (c *conv) shape(key string) ([]int, bool) {
	t, ok := c.sd[key]
	if !ok {
		return nil, false
	}
	return t.Shape, true
}

func (c *conv) has(key string) bool { _, ok := c.sd[key]; return ok }

// ignore marks tensors as deliberately unused (e.g. the discarded post-norm).
func (c *conv) ignore(keys ...string) {
	for _, k := range keys {
		if c.has(k) {
			c.used[k] = true
		}
	}
}

// countLayers counts i = 0, 1, … while fmt.Sprintf(pattern, i) is a key.
func (c *conv) countLayers(pattern string) int {
	n := 0
	for c.has(fmt.Sprintf(pattern, n)) {
		n++
	}
	return n
}

// ---- hyper-parameters ----

// param looks a dotted path up in the checkpoint's hyper_parameters, then in
// the --config YAML.
func (c *conv) param(path string) (any, bool) {
	hv, hok := lookup(c.hp, path)
	cv, cok := lookup(c.cfg, path)
	if hok && cok && fmt.Sprint(hv) != fmt.Sprint(cv) {
		if c.conflicts == nil {
			c.conflicts = map[string]bool{}
		}
		if !c.conflicts[path] {
			c.conflicts[path] = true
			c.note("%s: the checkpoint's hyper_parameters say %v, --config says %v; the checkpoint's value is used", path, hv, cv)
		}
	}
	if hok {
		return hv, true
	}
	return cv, cok
}

func lookup(m map[string]any, path string) (any, bool) {
	if m == nil {
		return nil, false
	}
	var cur any = m
	for _, p := range strings.Split(path, ".") {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		cur, ok = mm[p]
		if !ok {
			return nil, false
		}
	}
	return cur, true
}

func (c *conv) paramString(path string) (string, bool) {
	v, ok := c.param(path)
	if !ok || v == nil {
		return "", false
	}
	s, ok := v.(string)
	return s, ok
}

func (c *conv) paramBool(path string) (bool, bool) {
	v, ok := c.param(path)
	if !ok {
		return false, false
	}
	b, ok := v.(bool)
	return b, ok
}

func (c *conv) paramInt(path string) (int, bool) {
	v, ok := c.param(path)
	if !ok {
		return 0, false
	}
	switch x := v.(type) {
	case int64:
		return int(x), true
	case int:
		return x, true
	}
	return 0, false
}

// prenorm resolves pre- vs post-norm: the flag wins, then the file/config.
func (c *conv) prenorm(path string) (bool, bool) {
	if c.opt.Prenorm != nil {
		return *c.opt.Prenorm, true
	}
	return c.paramBool(path)
}
