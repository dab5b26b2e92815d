package format

import (
	"fmt"
	"sort"
)

// AttrKind is the type of an op attribute.
type AttrKind uint8

// Attribute types. AttrFloat also accepts an int64 value.
const (
	AttrInt AttrKind = iota + 1
	AttrFloat
	AttrString
	AttrInts
	AttrFloats
)

// String names the attribute kind as OPS.md does.
func (k AttrKind) String() string {
	switch k {
	case AttrInt:
		return "int"
	case AttrFloat:
		return "float"
	case AttrString:
		return "string"
	case AttrInts:
		return "ints"
	case AttrFloats:
		return "floats"
	}
	return fmt.Sprintf("attrkind(%d)", k)
}

// AttrSpec is one attribute of an op: its type, default and, for strings, allowed values.
type AttrSpec struct {
	Name    string
	Kind    AttrKind
	Default any      // int64, float64, string, []int64 or []float64
	Enum    []string // allowed values of a string attribute (nil: any)
}

// ParamSpec is one input or output of an op.
type ParamSpec struct {
	Name     string
	Optional bool // may be "" or omitted from the end of the list
}

// StateSpec is one state tensor of a stateful op (OPS.md "State"). Its shape is given
// in terms of B (batch), C (the channel count of the op's first input) and fixed sizes.
type StateSpec struct {
	Name  string
	Shape string // human-readable, e.g. "(B, C)" or "(B, H, N)"
}

// OpSpec describes one op of OPS.md: what Validate checks a node against.
type OpSpec struct {
	Domain  string // "spikessm"
	Op      string
	Version int // newest version this package knows
	Inputs  []ParamSpec
	Outputs []ParamSpec
	Attrs   []AttrSpec
	State   []StateSpec
	// Temporal ops need their first input with the time axis in `sequence` (B, L, C)
	// and see one step (B, C) in `step`.
	Temporal bool
	// PoolsTime ops remove the time axis (MeanPool, LastStep).
	PoolsTime bool

	seqOnly func(n *Node) bool
	infer   inferFunc
	check   checkFunc
}

// SequenceOnly reports whether node n of this op can run only on whole sequences
// (so a model containing it has no `step` entry point).
func (s *OpSpec) SequenceOnly(n *Node) bool { return s.seqOnly != nil && s.seqOnly(n) }

// Attr returns the spec of the named attribute.
func (s *OpSpec) Attr(name string) (*AttrSpec, bool) {
	for i := range s.Attrs {
		if s.Attrs[i].Name == name {
			return &s.Attrs[i], true
		}
	}
	return nil, false
}

var opRegistry = map[string]*OpSpec{}

func register(s *OpSpec) {
	if s.Domain == "" {
		s.Domain = DomainSpikessm
	}
	if s.Version == 0 {
		s.Version = 1
	}
	opRegistry[s.Domain+"."+s.Op] = s
}

// LookupOp returns the spec of (domain, op); domain "" means "spikessm".
func LookupOp(domain, op string) (*OpSpec, bool) {
	s, ok := opRegistry[canonicalDomain(domain)+"."+op]
	return s, ok
}

// OpSpecs returns every known op sorted by name.
func OpSpecs() []*OpSpec {
	out := make([]*OpSpec, 0, len(opRegistry))
	for _, s := range opRegistry {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Op < out[j].Op })
	return out
}

func req(names ...string) []ParamSpec {
	out := make([]ParamSpec, len(names))
	for i, n := range names {
		out[i] = ParamSpec{Name: n}
	}
	return out
}

func opt(names ...string) []ParamSpec {
	out := req(names...)
	for i := range out {
		out[i].Optional = true
	}
	return out
}

func cat(ps ...[]ParamSpec) []ParamSpec {
	var out []ParamSpec
	for _, p := range ps {
		out = append(out, p...)
	}
	return out
}

var (
	attrEpsilon = AttrSpec{Name: "epsilon", Kind: AttrFloat, Default: 1e-5}
	bc          = "(B, C)"
)

func init() {
	register(&OpSpec{Op: "Linear", Inputs: cat(req("X", "W"), opt("bias")), Outputs: req("Y"), infer: inferLinear})
	register(&OpSpec{Op: "Embedding", Inputs: req("ids", "table"), Outputs: req("Y"), infer: inferEmbedding})
	register(&OpSpec{Op: "LayerNorm", Inputs: req("X", "gamma", "beta"), Outputs: req("Y"),
		Attrs: []AttrSpec{attrEpsilon}, infer: inferPerChannel, check: checkEpsilon})
	register(&OpSpec{Op: "BatchNorm", Inputs: req("X", "gamma", "beta", "mean", "var"), Outputs: req("Y"),
		Attrs: []AttrSpec{attrEpsilon}, infer: inferPerChannel, check: checkBatchNorm})
	register(&OpSpec{Op: "GELU", Inputs: req("X"), Outputs: req("Y"),
		Attrs: []AttrSpec{{Name: "approximate", Kind: AttrString, Default: "none", Enum: []string{"none", "tanh"}}},
		infer: inferPerChannel})
	register(&OpSpec{Op: "GLU", Inputs: req("X"), Outputs: req("Y"), infer: inferGLU})
	register(&OpSpec{Op: "Add", Inputs: req("A", "B"), Outputs: req("Y"), infer: inferBroadcast})
	register(&OpSpec{Op: "Mul", Inputs: req("A", "B"), Outputs: req("Y"), infer: inferBroadcast})
	register(&OpSpec{Op: "MeanPool", Inputs: req("X"), Outputs: req("Y"), Temporal: true, PoolsTime: true,
		State: []StateSpec{{"sum", bc}, {"count", "(B)"}}, infer: inferPool})
	register(&OpSpec{Op: "LastStep", Inputs: req("X"), Outputs: req("Y"), Temporal: true, PoolsTime: true, infer: inferPool})
	register(&OpSpec{Op: "S4D",
		Inputs:   cat(req("X", "a_re", "a_im", "b_re", "b_im", "c_re", "c_im"), opt("d", "c_bwd_re", "c_bwd_im")),
		Outputs:  req("Y"),
		Attrs:    []AttrSpec{{Name: "bidirectional", Kind: AttrInt, Default: int64(0)}},
		State:    []StateSpec{{"x_re", "(B, H, N)"}, {"x_im", "(B, H, N)"}},
		Temporal: true,
		seqOnly:  func(n *Node) bool { return n.AttrInt("bidirectional") != 0 },
		infer:    inferS4D, check: checkS4D})
	register(&OpSpec{Op: "Heaviside", Inputs: req("X"), Outputs: req("S"),
		Attrs: []AttrSpec{{Name: "threshold", Kind: AttrFloat, Default: 0.0}}, infer: inferPerChannel})
	register(&OpSpec{Op: "ThresholdScale", Inputs: req("X", "ln_vth"), Outputs: req("Y"), infer: inferPerChannel})
	register(&OpSpec{Op: "SDNNeuron", Inputs: req("X", "w1", "b1", "w2", "b2", "w3", "b3"),
		Outputs:  cat(req("S"), opt("mem")),
		Attrs:    []AttrSpec{{Name: "threshold", Kind: AttrFloat, Default: 1.0}},
		State:    []StateSpec{{"history", "(B, C, 8)"}},
		Temporal: true, infer: inferSDN})
	register(&OpSpec{Op: "SpikingNeuron", Inputs: cat(req("X", "tau", "theta"), opt("rho", "beta")),
		Outputs: cat(req("S"), opt("m")),
		Attrs: []AttrSpec{
			{Name: "reset", Kind: AttrString, Default: "soft", Enum: []string{"soft", "hard", "none"}},
			{Name: "compare", Kind: AttrString, Default: "ge", Enum: []string{"ge", "gt"}},
			{Name: "solver", Kind: AttrString, Default: "auto", Enum: []string{"auto", "sequential", "pmbc"}},
		},
		State:    []StateSpec{{"m", bc}, {"s", bc}, {"r", bc}},
		Temporal: true, infer: inferPerChannel, check: checkSpikingNeuron})
	register(&OpSpec{Op: "LeakyIntegrator", Inputs: cat(req("X", "alpha", "beta"), opt("gamma")), Outputs: req("Y"),
		State: []StateSpec{{"v", bc}}, Temporal: true, infer: inferPerChannel})
	register(&OpSpec{Op: "CubaLIF",
		Inputs:  cat(req("X", "alpha_syn", "beta_syn", "alpha_mem", "beta_mem", "gamma", "theta", "v_reset"), opt("w_rec")),
		Outputs: cat(req("S"), opt("m")),
		Attrs: []AttrSpec{
			{Name: "reset", Kind: AttrString, Default: "hard", Enum: []string{"hard", "soft", "none"}},
			{Name: "compare", Kind: AttrString, Default: "gt", Enum: []string{"gt", "ge"}},
		},
		State:    []StateSpec{{"i", bc}, {"v", bc}, {"s", bc}},
		Temporal: true, infer: inferCubaLIF})
	register(&OpSpec{Op: "Softmax", Inputs: req("X"), Outputs: req("Y"), infer: inferPerChannel})
	register(&OpSpec{Op: "ArgMax", Inputs: req("X"), Outputs: req("Y"), infer: inferArgMax})
}

// attr returns the node's attribute or the op's default.
func (n *Node) attr(key string) any {
	if v, ok := n.Attrs[key]; ok {
		return v
	}
	if s, ok := LookupOp(n.Domain, n.Op); ok {
		if a, ok := s.Attr(key); ok {
			return a.Default
		}
	}
	return nil
}

// AttrInt returns an int attribute, or the op's default when absent (0 if unknown).
func (n *Node) AttrInt(key string) int64 {
	switch v := n.attr(key).(type) {
	case int64:
		return v
	case int:
		return int64(v)
	}
	return 0
}

// AttrFloat returns a float attribute (an int value is converted), or the op's default
// when absent (0 if unknown).
func (n *Node) AttrFloat(key string) float64 {
	switch v := n.attr(key).(type) {
	case float64:
		return v
	case float32:
		return float64(v)
	case int64:
		return float64(v)
	case int:
		return float64(v)
	}
	return 0
}

// AttrString returns a string attribute, or the op's default when absent ("" if unknown).
func (n *Node) AttrString(key string) string {
	s, _ := n.attr(key).(string)
	return s
}

// AttrInts returns an ints attribute, or the op's default when absent.
func (n *Node) AttrInts(key string) []int64 {
	s, _ := n.attr(key).([]int64)
	return s
}

// AttrFloats returns a floats attribute, or the op's default when absent.
func (n *Node) AttrFloats(key string) []float64 {
	s, _ := n.attr(key).([]float64)
	return s
}

// Input returns the i-th input name, "" when absent.
func (n *Node) Input(i int) string {
	if i < len(n.Inputs) {
		return n.Inputs[i]
	}
	return ""
}

// Output returns the i-th output name, "" when absent.
func (n *Node) Output(i int) string {
	if i < len(n.Outputs) {
		return n.Outputs[i]
	}
	return ""
}

// StateInputName is the `step` graph input carrying state s of node.
func StateInputName(node, state string) string { return node + ".state." + state }

// StateOutputName is the `step` graph output carrying the new state s of node.
func StateOutputName(node, state string) string { return node + ".state_out." + state }
