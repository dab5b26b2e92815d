package runtime

import (
	"errors"
	"fmt"
	goruntime "runtime"
	"strings"
	"sync"

	"github.com/spikessm/spikessm"
	"github.com/spikessm/spikessm/format"
)

// Option configures Load, LoadBytes and FromFormat.
type Option func(*config)

type config struct {
	variant    spikessm.Variant
	workers    int
	noValidate bool
}

// WithKernels selects a kernel variant of the root package ("generic", "avx2", ...) instead of
// the best one available; loading fails if the variant is unknown or unavailable on this CPU.
func WithKernels(v spikessm.Variant) Option { return func(c *config) { c.variant = v } }

// WithWorkers sets how many goroutines a Run may use (default GOMAXPROCS; values < 1 mean 1).
func WithWorkers(n int) Option { return func(c *config) { c.workers = n } }

// withoutValidation skips format validation (tests of the runtime's own checks).
func withoutValidation() Option { return func(c *config) { c.noValidate = true } }

// Model is a loaded, compiled model. It is immutable and safe for concurrent use (see the
// package documentation).
type Model struct {
	fm      *format.Model
	owned   bool
	k       *spikessm.Kernels
	workers int
	seq     *plan
	fused   *plan // seq with fused op chains (fuse.go); seq itself when nothing fuses
	step    *plan
	stepErr error
	hash    [32]byte
	pool    sync.Pool // *runState of seq
	fpool   sync.Pool // *runState of fused
	// maxWidth is the widest last dimension of any activation (0: unknown), which sizes
	// the sub-batches of a large Run.
	maxWidth int
}

// maxWidth returns the widest last dimension over the activations of the plan, inferred for
// one sequence of one step (widths do not depend on L or B), or 0 when that fails.
func (p *plan) maxWidth() int {
	if len(p.inputInfo) == 0 || len(p.inputInfo[0].Shape) != 3 {
		return 0
	}
	f := p.inputInfo[0].Shape[2]
	if f.Symbol != "" || f.Value <= 0 {
		return 0
	}
	shapes, err := p.inferShapes([]int{1, 1, int(f.Value)}, nil)
	if err != nil {
		return 0
	}
	w := 0
	for i, s := range shapes {
		if len(s) > 0 && !p.values[i].isConst {
			w = max(w, s[len(s)-1])
		}
	}
	return w
}

// Load opens (memory-maps) a model file, validates and compiles it.
func Load(path string, opts ...Option) (*Model, error) {
	fm, err := format.Open(path)
	if err != nil {
		return nil, fmt.Errorf("runtime: open %s: %w", path, err)
	}
	m, err := FromFormat(fm, opts...)
	if err != nil {
		fm.Close()
		return nil, fmt.Errorf("runtime: %s: %w", path, err)
	}
	m.owned = true
	return m, nil
}

// LoadBytes parses a model held in memory, validates and compiles it. The runtime may keep
// references into data: it must not be modified while the model is in use.
func LoadBytes(data []byte, opts ...Option) (*Model, error) {
	fm, err := format.FromBytes(data)
	if err != nil {
		return nil, fmt.Errorf("runtime: %w", err)
	}
	m, err := FromFormat(fm, opts...)
	if err != nil {
		fm.Close()
		return nil, err
	}
	m.owned = true
	return m, nil
}

// FromFormat validates and compiles an already opened model. The returned Model does not take
// ownership of fm: Model.Close leaves it open, and fm must outlive the Model.
func FromFormat(fm *format.Model, opts ...Option) (*Model, error) {
	if fm == nil {
		return nil, errors.New("runtime: nil format model")
	}
	cfg := config{workers: goruntime.GOMAXPROCS(0)}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.workers < 1 {
		cfg.workers = 1
	}
	m := &Model{fm: fm, workers: cfg.workers, hash: fm.Hash()}
	var err error
	if cfg.variant != "" {
		m.k, err = spikessm.Select(cfg.variant)
	} else {
		m.k, err = spikessm.DefaultErr()
	}
	if err != nil {
		return nil, fmt.Errorf("runtime: kernels: %w", err)
	}
	if m.k == nil {
		return nil, errors.New("runtime: kernels: no kernel set available")
	}
	if !cfg.noValidate {
		if err := fm.Validate(); err != nil {
			return nil, fmt.Errorf("runtime: model validation failed: %w", err)
		}
	}
	g, ok := fm.Graph("sequence")
	if !ok {
		return nil, errors.New(`runtime: model has no "sequence" graph`)
	}
	m.seq, err = compile(m, g, false)
	if err != nil {
		return nil, fmt.Errorf(`runtime: graph "sequence": %w`, err)
	}
	if sg, ok := fm.Graph("step"); ok {
		m.step, err = compile(m, sg, true)
		if err != nil {
			return nil, fmt.Errorf(`runtime: graph "step": %w`, err)
		}
	} else {
		d, derr := format.DeriveStep(*g)
		if derr != nil {
			m.stepErr = fmt.Errorf("runtime: model has no step entry point: %w", derr)
		} else if m.step, err = compile(m, &d, true); err != nil {
			m.stepErr = fmt.Errorf("runtime: derived step graph: %w", err)
			m.step = nil
		}
	}
	if err := m.calibrate(); err != nil {
		return nil, err
	}
	m.fused = fuseChains(m.seq) // shares the calibrated op objects of seq
	m.maxWidth = m.seq.maxWidth()
	return m, nil
}

// Kernels reports the kernel variant the model runs with.
func (m *Model) Kernels() spikessm.Variant { return m.k.Name }

// Workers reports the maximum number of goroutines a Run uses.
func (m *Model) Workers() int { return m.workers }

// Hash is the sha256 of the model file; it identifies the model in session snapshots.
func (m *Model) Hash() [32]byte { return m.hash }

// HasStep reports whether the model can be streamed (NewSession); if not, the error says why
// (for example a bidirectional S4D layer, which is sequence-only).
func (m *Model) HasStep() (bool, error) { return m.step != nil, m.stepErr }

// InputInfo describes the user inputs of the sequence entry point (state inputs excluded).
func (m *Model) InputInfo() []format.ValueInfo {
	return append([]format.ValueInfo(nil), m.seq.inputInfo...)
}

// OutputNames lists the outputs of the sequence entry point in graph order; Run returns the first.
func (m *Model) OutputNames() []string { return append([]string(nil), m.seq.outputNames...) }

// Close releases the model file when the model was opened by Load or LoadBytes.
func (m *Model) Close() error {
	if m.owned && m.fm != nil {
		err := m.fm.Close()
		m.fm = nil
		return err
	}
	return nil
}

// ---- compilation ----

// value is one named tensor of a graph: a constant (initializer) or an activation.
type value struct {
	name     string
	isConst  bool
	cdata    []float32
	cshape   []int
	spike    bool // holds exactly 0/1 (output of a spiking op)
	producer int  // node index, -1 for graph inputs and constants
}

type cnode struct {
	idx      int
	name, op string
	in       []int // value index per input, -1 when absent
	out      []int // value index per output, -1 when absent
	impl     opImpl
	stateIn  []string // step graphs: names of the state inputs, in op order
	stateOut []string
}

type plan struct {
	m           *Model
	graph       string
	stepMode    bool
	values      []value
	index       map[string]int
	inputs      []int
	inputInfo   []format.ValueInfo
	outputs     []int
	outputNames []string
	nodes       []*cnode
	lastUse     []int
}

// setLastUse computes p.lastUse: per value the index of the last node that reads it,
// len(p.nodes) for graph outputs, −1 when nothing reads it.
func (p *plan) setLastUse() {
	p.lastUse = make([]int, len(p.values))
	for i := range p.lastUse {
		p.lastUse[i] = -1
	}
	for _, n := range p.nodes {
		for _, i := range n.in {
			if i >= 0 {
				p.lastUse[i] = n.idx
			}
		}
	}
	for _, o := range p.outputs {
		p.lastUse[o] = len(p.nodes)
	}
}

func (p *plan) valueIdx(name string) (int, bool) {
	i, ok := p.index[name]
	return i, ok
}

func (p *plan) addValue(v value) int {
	p.values = append(p.values, v)
	p.index[v.name] = len(p.values) - 1
	return len(p.values) - 1
}

func compile(m *Model, g *format.Graph, step bool) (*plan, error) {
	p := &plan{m: m, graph: g.Name, stepMode: step, index: map[string]int{}}
	isState := func(name string) bool {
		return strings.Contains(name, ".state.") || strings.Contains(name, ".state_out.")
	}
	for _, vi := range g.Inputs {
		if step && isState(vi.Name) {
			continue
		}
		if _, dup := p.index[vi.Name]; dup {
			return nil, fmt.Errorf("duplicate graph input %q", vi.Name)
		}
		if vi.DType != format.F32 && vi.DType != format.I32 && vi.DType != format.I64 {
			return nil, fmt.Errorf("graph input %q has dtype %v; the runtime takes float32 (or integer ids as float32)", vi.Name, vi.DType)
		}
		idx := p.addValue(value{name: vi.Name, producer: -1})
		p.inputs = append(p.inputs, idx)
		p.inputInfo = append(p.inputInfo, vi)
	}
	if len(p.inputs) == 0 {
		return nil, errors.New("graph has no inputs")
	}
	if len(p.inputs) > 1 {
		return nil, fmt.Errorf("graph has %d inputs; the runtime runs graphs with one input (plus state in step graphs)", len(p.inputs))
	}
	constant := func(name string) (int, error) {
		if i, ok := p.index[name]; ok {
			return i, nil
		}
		t, ok := m.fm.Tensor(name)
		if !ok {
			return -1, nil
		}
		data, err := t.Float32()
		if err != nil {
			return -1, fmt.Errorf("initializer %q (%v): %w", name, t.DType, err)
		}
		shape := make([]int, len(t.Shape))
		for i, d := range t.Shape {
			shape[i] = int(d)
		}
		if int64(len(data)) != t.NumElements() {
			return -1, fmt.Errorf("initializer %q: %d values for shape %v", name, len(data), t.Shape)
		}
		return p.addValue(value{name: name, isConst: true, cdata: data, cshape: shape, producer: -1}), nil
	}
	for ni, n := range g.Nodes {
		where := fmt.Sprintf("node %q (%s)", n.Name, n.Op)
		if n.Domain != "" && n.Domain != "spikessm" {
			return nil, fmt.Errorf("%s: unknown domain %q", where, n.Domain)
		}
		if n.Version > 1 {
			return nil, fmt.Errorf("%s: op version %d is newer than this runtime (knows version 1)", where, n.Version)
		}
		spec, ok := opSpecs[n.Op]
		if !ok {
			return nil, fmt.Errorf("%s: unknown op %q", where, n.Op)
		}
		cn := &cnode{idx: ni, name: n.Name, op: n.Op}
		ins := n.Inputs
		outs := n.Outputs
		if step && len(spec.states) > 0 {
			// State inputs/outputs are named <node>.state.<s> / <node>.state_out.<s>.
			var rest []string
			for _, in := range ins {
				if strings.HasPrefix(in, n.Name+".state.") {
					cn.stateIn = append(cn.stateIn, strings.TrimPrefix(in, n.Name+".state."))
				} else {
					rest = append(rest, in)
				}
			}
			ins = rest
			rest = nil
			for _, o := range outs {
				if strings.HasPrefix(o, n.Name+".state_out.") {
					cn.stateOut = append(cn.stateOut, strings.TrimPrefix(o, n.Name+".state_out."))
				} else {
					rest = append(rest, o)
				}
			}
			outs = rest
			if len(cn.stateIn) != len(spec.states) || len(cn.stateOut) != len(spec.states) {
				return nil, fmt.Errorf("%s: step graph must carry state %v as inputs %q and outputs %q", where, spec.states, n.Name+".state.*", n.Name+".state_out.*")
			}
			for i, s := range spec.states {
				if cn.stateIn[i] != s || cn.stateOut[i] != s {
					return nil, fmt.Errorf("%s: state %d is %q/%q, want %q", where, i, cn.stateIn[i], cn.stateOut[i], s)
				}
			}
		}
		for len(ins) > 0 && ins[len(ins)-1] == "" {
			ins = ins[:len(ins)-1]
		}
		if len(ins) < spec.minIn || len(ins) > spec.maxIn {
			return nil, fmt.Errorf("%s: %d inputs, want %d..%d", where, len(ins), spec.minIn, spec.maxIn)
		}
		if len(outs) < 1 || len(outs) > spec.maxOut || outs[0] == "" {
			return nil, fmt.Errorf("%s: %d outputs, want 1..%d", where, len(outs), spec.maxOut)
		}
		for _, in := range ins {
			if in == "" {
				cn.in = append(cn.in, -1)
				continue
			}
			i, ok := p.index[in]
			if !ok {
				ci, err := constant(in)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", where, err)
				}
				if ci < 0 {
					return nil, fmt.Errorf("%s: input %q is neither a graph input, an initializer nor an earlier node's output", where, in)
				}
				i = ci
			}
			cn.in = append(cn.in, i)
		}
		for i := 0; i < spec.minIn; i++ {
			if cn.in[i] < 0 {
				return nil, fmt.Errorf("%s: required input %d is empty", where, i)
			}
		}
		for ai := range n.Attrs {
			if !spec.attrs[ai] {
				return nil, fmt.Errorf("%s: unknown attribute %q", where, ai)
			}
		}
		impl, err := spec.build(p, cn, n.Attrs)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		if step {
			if sc, ok := impl.(interface{ stepOK() error }); ok {
				if err := sc.stepOK(); err != nil {
					return nil, fmt.Errorf("%s: %w", where, err)
				}
			}
		}
		cn.impl = impl
		for oi, o := range outs {
			if o == "" {
				cn.out = append(cn.out, -1)
				continue
			}
			if _, dup := p.index[o]; dup {
				return nil, fmt.Errorf("%s: output %q is defined twice", where, o)
			}
			v := value{name: o, producer: ni}
			v.spike = oi == 0 && spec.spikeOut
			cn.out = append(cn.out, p.addValue(v))
		}
		p.nodes = append(p.nodes, cn)
	}
	for _, vo := range g.Outputs {
		if step && isState(vo.Name) {
			continue
		}
		i, ok := p.index[vo.Name]
		if !ok {
			return nil, fmt.Errorf("graph output %q is not produced by any node", vo.Name)
		}
		p.outputs = append(p.outputs, i)
		p.outputNames = append(p.outputNames, vo.Name)
	}
	if len(p.outputs) == 0 {
		return nil, errors.New("graph has no outputs")
	}
	p.setLastUse()
	return p, nil
}
