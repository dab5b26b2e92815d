package format

import (
	"container/heap"
	"encoding/binary"
	"fmt"
	"github.com/spikessm/spikessm/internal/half"
	"hash/crc32"
	"math"
	"sort"
	"strings"
	"sync/atomic"
)

// validatorPanics counts panics caught in Validate; the tests require zero.
var validatorPanics atomic.Int64

type validator struct {
	m        *Model
	problems []Problem
}

func (v *validator) add(p Problem) { v.problems = append(v.problems, p) }

// Validate checks everything a runtime relies on and returns nil or a
// *ValidationError listing every problem found, each naming its graph, node or
// tensor with expected versus actual values. Checked: duplicate names; tensor dtypes,
// shapes, sizes, buffer bounds, 64-byte alignment, overlaps and CRC-32C checksums;
// I8 scales; non-finite weights; opset imports; metadata types; per graph: unknown ops
// and too-new op versions (*UnknownOpError), attributes (*AttributeError), input and
// output counts, dangling names (*DanglingError), cycles (*CycleError), static shapes
// and dtypes per OPS.md (*ShapeError), parameter constraints (*ParameterError), and
// for `step` the state inputs/outputs of OPS.md "State". Validate reads every weight.
func (m *Model) Validate() (err error) {
	v := &validator{m: m}
	defer func() {
		// last line of defence: a validator bug must not crash the caller
		if r := recover(); r != nil {
			validatorPanics.Add(1)
			v.add(Problem{Kind: ProblemGraph, Where: "model", Msg: fmt.Sprintf("internal validator error: %v", r)})
			err = &ValidationError{File: m.name, Problems: v.problems}
		}
	}()
	v.problems = append(v.problems, m.decodeProblems...)
	v.checkOpsets()
	v.checkMetadata()
	v.checkTensors()
	seqFound := false
	for _, g := range m.graphs {
		if g.Name == GraphSequence {
			seqFound = true
		}
		v.checkGraph(g, g.Name == GraphStep)
	}
	if !seqFound {
		v.add(Problem{Kind: ProblemGraph, Where: "model", Msg: fmt.Sprintf("no %q entry point (graphs: %v)", GraphSequence, m.graphNames())})
	}
	if st, ok := m.graphIdx[GraphStep]; ok {
		if seq, ok := m.graphIdx[GraphSequence]; ok {
			v.checkStepMatchesSequence(seq, st)
		}
	}
	if len(v.problems) == 0 {
		return nil
	}
	return &ValidationError{File: m.name, Problems: v.problems}
}

func (m *Model) graphNames() []string {
	out := make([]string, len(m.graphs))
	for i, g := range m.graphs {
		out[i] = g.Name
	}
	return out
}

func (v *validator) checkOpsets() {
	seen := map[string]bool{}
	for _, o := range v.m.opsets {
		d := canonicalDomain(o.Domain)
		where := fmt.Sprintf("opset import %q", d)
		if seen[d] {
			v.add(Problem{Kind: ProblemOpset, Where: where, Msg: "domain imported twice"})
		}
		seen[d] = true
		if d == DomainSpikessm && o.Version > OpsetVersion {
			v.add(Problem{Kind: ProblemOpset, Where: where, Msg: fmt.Sprintf("version %d is newer than supported version %d", o.Version, OpsetVersion)})
		}
		if o.Version < 1 {
			v.add(Problem{Kind: ProblemOpset, Where: where, Msg: fmt.Sprintf("version %d, want ≥ 1", o.Version)})
		}
	}
}

// knownMeta lists the metadata keys of the contract with their types and allowed values.
var knownMeta = map[string]struct {
	typ  string
	enum []string
}{
	"source.file": {"string", nil}, "source.sha256": {"string", nil}, "source.framework": {"string", nil},
	"source.repo": {"string", nil}, "source.commit": {"string", nil},
	"source.arch":       {"string", []string{"s4d_example", "s4block", "spikingssm", "binary_s4d", "spikessm_ref", "nir", "snntorch"}},
	"converter.version": {"string", nil}, "semantics.dt": {"string|float64", nil}, "semantics.reset": {"string", nil},
	"semantics.threshold_compare": {"string", nil},
	"semantics.discretization":    {"string", []string{"zoh", "bilinear"}},
	"semantics.notes":             {"string", nil},
	"task.classes":                {"int64", nil}, "task.input_features": {"int64", nil},
}

func (v *validator) checkMetadata() {
	for _, k := range v.m.metaKeys {
		spec, ok := knownMeta[k]
		if !ok {
			continue
		}
		val := v.m.meta[k]
		where := "metadata " + quote(k)
		typ := fmt.Sprintf("%T", val)
		if typ != spec.typ && !contains(strings.Split(spec.typ, "|"), typ) {
			v.add(Problem{Kind: ProblemMetadata, Where: where, Msg: fmt.Sprintf("expected %s, got %s", spec.typ, typ)})
			continue
		}
		if spec.enum != nil {
			s := val.(string)
			if !contains(spec.enum, s) {
				v.add(Problem{Kind: ProblemMetadata, Where: where, Msg: fmt.Sprintf("expected one of %v, got %q", spec.enum, s)})
			}
		}
		if n, ok := val.(int64); ok && n < 1 {
			v.add(Problem{Kind: ProblemMetadata, Where: where, Msg: fmt.Sprintf("expected ≥ 1, got %d", n)})
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (v *validator) bufErr(t *Tensor, kind ProblemKind, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	v.add(Problem{Kind: kind, Where: "tensor " + quote(t.Name), Msg: msg, Err: &BufferError{Tensor: t.Name, Msg: msg}})
}

func (v *validator) checkTensors() {
	m := v.m
	type span struct {
		t        *Tensor
		lo, hi   uint64
		readable bool
	}
	var spans []span
	for _, t := range m.tensors {
		where := "tensor " + quote(t.Name)
		if t.Name == "" {
			v.add(Problem{Kind: ProblemBadValue, Where: where, Msg: "empty tensor name"})
		}
		sizeOK := true
		if !t.DType.Valid() {
			v.add(Problem{Kind: ProblemDType, Where: where, Msg: fmt.Sprintf("unknown dtype %d", uint8(t.DType))})
			sizeOK = false
		}
		n, ok := NumElements(t.Shape)
		if !ok {
			v.add(Problem{Kind: ProblemShape, Where: where, Msg: fmt.Sprintf("shape %v has a negative dimension or its element count overflows", t.Shape)})
			sizeOK = false
		}
		if sizeOK {
			want, ok := t.DType.ByteSize(n)
			if !ok {
				v.bufErr(t, ProblemBuffer, "byte size of %v %v overflows", t.DType, t.Shape)
			} else if uint64(want) != t.size {
				v.bufErr(t, ProblemBuffer, "%v %v needs %d bytes, buffer has %d", t.DType, t.Shape, want, t.size)
				sizeOK = false
			}
		}
		inBounds := t.inBounds()
		if !inBounds {
			v.bufErr(t, ProblemBuffer, "buffer [%d, +%d) is outside the file of %d bytes", t.offset, t.size, m.size)
		}
		if t.offset%Alignment != 0 {
			v.bufErr(t, ProblemBuffer, "offset %d is not %d-byte aligned", t.offset, Alignment)
		}
		if t.size > 0 && t.offset < uint64(m.fbSize) {
			v.bufErr(t, ProblemBuffer, "buffer at offset %d overlaps the FlatBuffer header [0, %d)", t.offset, m.fbSize)
		}
		if inBounds && t.size > 0 {
			spans = append(spans, span{t, t.offset, t.offset + t.size, sizeOK})
		}
		switch t.checksumKind {
		case 0:
		case 1:
			if inBounds {
				if raw, err := t.ReadBytes(); err != nil {
					v.bufErr(t, ProblemBuffer, "%v", err)
				} else if got := crc32.Checksum(raw, castagnoli); got != t.checksum {
					msg := fmt.Sprintf("CRC-32C %08x, stored %08x", got, t.checksum)
					v.add(Problem{Kind: ProblemChecksum, Where: where, Msg: msg, Err: &BufferError{Tensor: t.Name, Msg: msg}})
				}
			}
		default:
			v.bufErr(t, ProblemBuffer, "unknown checksum kind %d", t.checksumKind)
		}
		v.checkQuant(t)
		if sizeOK && inBounds {
			if i, x, ok := firstNonFinite(t); ok {
				v.add(Problem{Kind: ProblemParameter, Where: where, Msg: fmt.Sprintf("element %d is %v (weights must be finite)", i, x)})
			}
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].lo < spans[j].lo })
	for i := 1; i < len(spans); i++ {
		if spans[i].lo < spans[i-1].hi {
			v.bufErr(spans[i].t, ProblemBuffer, "buffer [%d, %d) overlaps tensor %q [%d, %d)", spans[i].lo, spans[i].hi, spans[i-1].t.Name, spans[i-1].lo, spans[i-1].hi)
		}
	}
}

func (v *validator) checkQuant(t *Tensor) {
	where := "tensor " + quote(t.Name)
	if t.DType != I8 {
		if t.scale != "" {
			v.add(Problem{Kind: ProblemQuantization, Where: where, Msg: fmt.Sprintf("scale %q set on a %v tensor (only i8 has a scale)", t.scale, t.DType)})
		}
		return
	}
	if t.scale == "" {
		v.add(Problem{Kind: ProblemQuantization, Where: where, Msg: "i8 tensor without a scale tensor"})
		return
	}
	if t.quantAxis < 0 || t.quantAxis >= len(t.Shape) {
		v.add(Problem{Kind: ProblemQuantization, Where: where, Msg: fmt.Sprintf("quantization axis %d out of range for shape %v", t.quantAxis, t.Shape)})
		return
	}
	st, ok := v.m.tensorIdx[t.scale]
	if !ok {
		v.add(Problem{Kind: ProblemQuantization, Where: where, Msg: fmt.Sprintf("scale tensor %q not found", t.scale), Err: &DanglingError{Name: t.scale}})
		return
	}
	want := []int64{t.Shape[t.quantAxis]}
	if st.DType != F32 || len(st.Shape) != 1 || st.Shape[0] != want[0] {
		v.add(Problem{Kind: ProblemQuantization, Where: where, Msg: fmt.Sprintf("scale %q: expected f32 %v, got %v %v", t.scale, want, st.DType, st.Shape)})
	}
}

// checkGraph validates one entry point; step selects the `step` rules of OPS.md "State".
func (v *validator) checkGraph(g *Graph, step bool) {
	gw := fmt.Sprintf("graph %q", g.Name)
	defined := map[string]*value{}
	producer := map[string]int{}
	tensorValue := func(name string) *value {
		t, ok := v.m.tensorIdx[name]
		if !ok {
			return nil
		}
		val := &value{known: true, dtype: t.DType, tensor: t}
		val.dims = make([]Dim, len(t.Shape))
		for i, d := range t.Shape {
			val.dims[i] = Fixed(d)
		}
		return val
	}

	stateIns := map[string]bool{}
	for _, in := range g.Inputs {
		where := fmt.Sprintf("%s input %q", gw, in.Name)
		if in.Name == "" {
			v.add(Problem{Kind: ProblemBadValue, Where: where, Msg: "empty name"})
			continue
		}
		if _, dup := defined[in.Name]; dup {
			v.add(Problem{Kind: ProblemDuplicate, Where: where, Msg: "input listed twice"})
			continue
		}
		if _, clash := v.m.tensorIdx[in.Name]; clash {
			v.add(Problem{Kind: ProblemDuplicate, Where: where, Msg: "graph input has the name of a tensor"})
		}
		v.checkValueInfo(where, in)
		defined[in.Name] = &value{known: true, dims: in.Shape, dtype: in.DType, timed: !isStateName(in.Name)}
		if isStateName(in.Name) {
			stateIns[in.Name] = true
		}
	}

	// node structure: op, version, attributes, arity, names
	nodeNames := map[string]bool{}
	specs := make([]*OpSpec, len(g.Nodes))
	for i := range g.Nodes {
		n := &g.Nodes[i]
		nw := fmt.Sprintf("%s node %q", gw, n.Name)
		if n.Name == "" {
			nw = fmt.Sprintf("%s node #%d", gw, i)
			v.add(Problem{Kind: ProblemBadValue, Where: nw, Msg: "empty node name"})
		} else if nodeNames[n.Name] {
			v.add(Problem{Kind: ProblemDuplicate, Where: nw, Msg: "node name used twice"})
		}
		nodeNames[n.Name] = true
		for _, o := range n.Outputs {
			if o == "" {
				continue
			}
			if _, dup := defined[o]; dup {
				v.add(Problem{Kind: ProblemDuplicate, Where: nw, Msg: fmt.Sprintf("output %q is also a graph input", o)})
			} else if j, dup := producer[o]; dup {
				v.add(Problem{Kind: ProblemDuplicate, Where: nw, Msg: fmt.Sprintf("output %q is also produced by node %q", o, g.Nodes[j].Name)})
			} else if _, clash := v.m.tensorIdx[o]; clash {
				v.add(Problem{Kind: ProblemDuplicate, Where: nw, Msg: fmt.Sprintf("output %q has the name of a tensor", o)})
			}
			if _, dup := producer[o]; !dup {
				producer[o] = i
			}
		}
		specs[i] = v.checkNode(g, n, nw, step)
	}

	// dangling names and edges
	deps := make([][]int, len(g.Nodes))
	for i := range g.Nodes {
		n := &g.Nodes[i]
		for _, in := range n.Inputs {
			if in == "" {
				continue
			}
			if _, ok := defined[in]; ok {
				continue
			}
			if j, ok := producer[in]; ok {
				deps[i] = append(deps[i], j)
				continue
			}
			if _, ok := v.m.tensorIdx[in]; ok {
				continue
			}
			e := &DanglingError{Graph: g.Name, Node: n.Name, Name: in}
			v.add(Problem{Kind: ProblemDangling, Where: fmt.Sprintf("%s node %q", gw, n.Name), Msg: fmt.Sprintf("input %q is produced by no node, graph input or tensor", in), Err: e})
		}
	}
	for _, name := range v.m.initializers[g.Name] {
		if _, ok := v.m.tensorIdx[name]; !ok {
			e := &DanglingError{Graph: g.Name, Name: name}
			v.add(Problem{Kind: ProblemDangling, Where: gw, Msg: fmt.Sprintf("initializer %q names no tensor", name), Err: e})
		}
	}

	order, cycle := topoOrder(len(g.Nodes), deps)
	if cycle != nil {
		names := make([]string, len(cycle))
		for i, j := range cycle {
			names[i] = g.Nodes[j].Name
		}
		e := &CycleError{Graph: g.Name, Nodes: names}
		v.add(Problem{Kind: ProblemCycle, Where: gw, Msg: "nodes " + fmt.Sprint(names) + " form a cycle", Err: e})
	}

	// shape inference in topological order
	stateOuts := map[string][]Dim{}
	for _, i := range order {
		n := &g.Nodes[i]
		spec := specs[i]
		if spec == nil {
			for _, o := range n.Outputs {
				if o != "" {
					defined[o] = &value{opaque: true}
				}
			}
			continue
		}
		c := &inferCtx{v: v, graph: g.Name, node: n, spec: spec, step: step, in: make([]*value, len(spec.Inputs))}
		for k := range spec.Inputs {
			name := n.Input(k)
			if name == "" {
				continue
			}
			if val, ok := defined[name]; ok {
				c.in[k] = val
			} else if val := tensorValue(name); val != nil {
				c.in[k] = val
			} else {
				c.in[k] = &value{opaque: true}
			}
			v.checkInputDType(c, k)
		}
		outs := spec.infer(c)
		if spec.check != nil {
			spec.check(c)
		}
		for k, o := range outs {
			if name := n.Output(k); name != "" && k < len(spec.Outputs) {
				oc := o
				defined[name] = &oc
			}
		}
		if step && len(spec.State) > 0 {
			for k, s := range spec.State {
				var dims []Dim
				if k < len(c.state) {
					dims = c.state[k]
				}
				in := StateInputName(n.Name, s.Name)
				if val, ok := defined[in]; ok && val.known && dims != nil {
					v.compareDims(g.Name, fmt.Sprintf("%s state input %q", gw, in), in, dims, val.dims)
				}
				if name := n.Output(len(spec.Outputs) + k); name != "" {
					defined[name] = &value{known: dims != nil, dims: dims, dtype: F32}
					stateOuts[name] = dims
				}
			}
		}
	}

	for _, out := range g.Outputs {
		where := fmt.Sprintf("%s output %q", gw, out.Name)
		v.checkValueInfo(where, out)
		val, ok := defined[out.Name]
		if !ok {
			if _, isTensor := v.m.tensorIdx[out.Name]; !isTensor {
				e := &DanglingError{Graph: g.Name, Name: out.Name}
				v.add(Problem{Kind: ProblemDangling, Where: where, Msg: "produced by no node or graph input", Err: e})
			}
			continue
		}
		if val.dtype != 0 && out.DType != val.dtype {
			e := &ShapeError{Graph: g.Name, Name: out.Name, Expected: "dtype " + val.dtype.String(), Actual: "dtype " + out.DType.String()}
			v.add(Problem{Kind: ProblemDType, Where: where, Msg: fmt.Sprintf("declared dtype %v, computed %v", out.DType, val.dtype), Err: e})
		}
		if val.known {
			v.compareDims(g.Name, where, out.Name, val.dims, out.Shape)
		}
	}

	if step {
		v.checkStateIO(g, specs, stateIns)
	}
}

func isStateName(name string) bool {
	for i := 0; i+7 <= len(name); i++ {
		if name[i:i+7] == ".state." {
			return true
		}
	}
	return false
}

// compareDims reports a ShapeError when computed and declared shapes differ in rank or
// in a fixed dimension.
func (v *validator) compareDims(graph, where, name string, computed, declared []Dim) {
	bad := len(computed) != len(declared)
	if !bad {
		for i := range computed {
			if _, ok := unify(computed[i], declared[i]); !ok {
				bad = true
			}
		}
	}
	if bad {
		e := &ShapeError{Graph: graph, Name: name, Expected: dimsString(computed), Actual: dimsString(declared)}
		v.add(Problem{Kind: ProblemShape, Where: where, Msg: fmt.Sprintf("declared shape %s, computed %s", dimsString(declared), dimsString(computed)), Err: e})
	}
}

func (v *validator) checkValueInfo(where string, vi ValueInfo) {
	if !vi.DType.Valid() {
		v.add(Problem{Kind: ProblemDType, Where: where, Msg: fmt.Sprintf("unknown dtype %d", uint8(vi.DType))})
	}
	for i, d := range vi.Shape {
		if d.Symbol == "" && d.Value < -1 {
			v.add(Problem{Kind: ProblemShape, Where: where, Msg: fmt.Sprintf("dimension %d is %d (want ≥ 0, or -1 with a symbol)", i, d.Value)})
		}
		if d.Symbol != "" && d.Value != -1 {
			v.add(Problem{Kind: ProblemShape, Where: where, Msg: fmt.Sprintf("symbolic dimension %d %q has value %d (want -1)", i, d.Symbol, d.Value)})
		}
	}
}

func (v *validator) checkInputDType(c *inferCtx, k int) {
	x := c.in[k]
	if x == nil || x.dtype == 0 {
		return
	}
	if c.spec.Op == "Embedding" && k == 0 {
		return // checked by inferEmbedding
	}
	ok := x.dtype == F32
	if x.tensor != nil {
		ok = x.dtype == F32 || x.dtype == F16 || x.dtype == BF16 || x.dtype == I8
	}
	if !ok {
		want := "dtype f32"
		if x.tensor != nil {
			want = "a float initializer (f32, f16, bf16 or i8)"
		}
		e := &ShapeError{Graph: c.graph, Node: c.node.Name, Name: c.node.Input(k), Expected: want, Actual: "dtype " + x.dtype.String()}
		c.v.add(Problem{Kind: ProblemDType, Where: c.where(), Msg: fmt.Sprintf("input %s: expected %s, got %v", c.inName(k), want, x.dtype), Err: e})
	}
}

// checkNode checks op, version, attributes and arity; it returns the spec (nil when unknown).
func (v *validator) checkNode(g *Graph, n *Node, nw string, step bool) *OpSpec {
	spec, ok := LookupOp(n.Domain, n.Op)
	if !ok {
		e := &UnknownOpError{Graph: g.Name, Node: n.Name, Domain: n.Domain, Op: n.Op, Version: n.Version}
		v.add(Problem{Kind: ProblemUnknownOp, Where: nw, Msg: fmt.Sprintf("unknown op %s.%s", canonicalDomain(n.Domain), n.Op), Err: e})
		return nil
	}
	if n.Version > spec.Version {
		e := &UnknownOpError{Graph: g.Name, Node: n.Name, Domain: n.Domain, Op: n.Op, Version: n.Version, Known: spec.Version}
		v.add(Problem{Kind: ProblemUnknownOp, Where: nw, Msg: fmt.Sprintf("op %s version %d is newer than supported version %d", n.Op, n.Version, spec.Version), Err: e})
		return nil
	}
	if n.Version < 1 {
		v.add(Problem{Kind: ProblemUnknownOp, Where: nw, Msg: fmt.Sprintf("op version %d, want ≥ 1", n.Version)})
	}
	imported := false
	for _, o := range v.m.opsets {
		if canonicalDomain(o.Domain) == spec.Domain {
			imported = true
			if n.Version > o.Version {
				v.add(Problem{Kind: ProblemOpset, Where: nw, Msg: fmt.Sprintf("op version %d is newer than the imported %s opset version %d", n.Version, spec.Domain, o.Version)})
			}
		}
	}
	if !imported {
		v.add(Problem{Kind: ProblemOpset, Where: nw, Msg: fmt.Sprintf("domain %q is not in the opset imports", spec.Domain)})
	}

	// attributes
	keys := make([]string, 0, len(n.Attrs))
	for k := range n.Attrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		val := n.Attrs[k]
		as, ok := spec.Attr(k)
		attrErr := func(msg string) {
			e := &AttributeError{Graph: g.Name, Node: n.Name, Op: n.Op, Attr: k, Msg: msg}
			v.add(Problem{Kind: ProblemAttribute, Where: nw, Msg: fmt.Sprintf("attribute %q: %s", k, msg), Err: e})
		}
		if !ok {
			attrErr(fmt.Sprintf("not an attribute of %s (known: %v)", n.Op, attrNames(spec)))
			continue
		}
		if got := attrKindOf(val); got != as.Kind && !(as.Kind == AttrFloat && got == AttrInt) {
			attrErr(fmt.Sprintf("expected %v, got %v", as.Kind, got))
			continue
		}
		switch x := val.(type) {
		case string:
			if as.Enum != nil && !contains(as.Enum, x) {
				attrErr(fmt.Sprintf("expected one of %v, got %q", as.Enum, x))
			}
		case float64:
			if math.IsNaN(x) || math.IsInf(x, 0) {
				attrErr(fmt.Sprintf("expected a finite value, got %v", x))
			}
		}
	}
	if spec.Op == "S4D" {
		if b := n.AttrInt("bidirectional"); b != 0 && b != 1 {
			e := &AttributeError{Graph: g.Name, Node: n.Name, Op: n.Op, Attr: "bidirectional", Msg: fmt.Sprintf("expected 0 or 1, got %d", b)}
			v.add(Problem{Kind: ProblemAttribute, Where: nw, Msg: e.Msg, Err: e})
		}
	}
	if spec.Op == "SpikingNeuron" && n.AttrString("solver") == "pmbc" && n.AttrString("reset") != "soft" {
		e := &AttributeError{Graph: g.Name, Node: n.Name, Op: n.Op, Attr: "solver", Msg: fmt.Sprintf("pmbc requires reset = soft, got reset = %q", n.AttrString("reset"))}
		v.add(Problem{Kind: ProblemAttribute, Where: nw, Msg: e.Msg, Err: e})
	}

	// arity
	nIn, nOut := len(spec.Inputs), len(spec.Outputs)
	stateful := step && len(spec.State) > 0
	if step && spec.SequenceOnly(n) {
		v.add(Problem{Kind: ProblemGraph, Where: nw, Msg: fmt.Sprintf("%s with these attributes is sequence-only and cannot appear in %q", n.Op, GraphStep)})
	}
	if stateful {
		if len(n.Inputs) != nIn+len(spec.State) {
			v.add(Problem{Kind: ProblemInputs, Where: nw, Msg: fmt.Sprintf("in %q expected %d inputs (%d regular, padded with \"\", then %d state), got %d", GraphStep, nIn+len(spec.State), nIn, len(spec.State), len(n.Inputs))})
		}
		if len(n.Outputs) != nOut+len(spec.State) {
			v.add(Problem{Kind: ProblemInputs, Where: nw, Msg: fmt.Sprintf("in %q expected %d outputs (%d regular, padded with \"\", then %d state), got %d", GraphStep, nOut+len(spec.State), nOut, len(spec.State), len(n.Outputs))})
		}
		for k, s := range spec.State {
			if want := StateInputName(n.Name, s.Name); n.Input(nIn+k) != want {
				v.add(Problem{Kind: ProblemInputs, Where: nw, Msg: fmt.Sprintf("state input %d: expected %q, got %q", k, want, n.Input(nIn+k))})
			}
			if want := StateOutputName(n.Name, s.Name); n.Output(nOut+k) != want {
				v.add(Problem{Kind: ProblemInputs, Where: nw, Msg: fmt.Sprintf("state output %d: expected %q, got %q", k, want, n.Output(nOut+k))})
			}
		}
	} else {
		if len(n.Inputs) > nIn {
			v.add(Problem{Kind: ProblemInputs, Where: nw, Msg: fmt.Sprintf("%s takes at most %d inputs, got %d", n.Op, nIn, len(n.Inputs))})
		}
		if len(n.Outputs) > nOut {
			v.add(Problem{Kind: ProblemInputs, Where: nw, Msg: fmt.Sprintf("%s has at most %d outputs, got %d", n.Op, nOut, len(n.Outputs))})
		}
	}
	for k, p := range spec.Inputs {
		if !p.Optional && n.Input(k) == "" {
			v.add(Problem{Kind: ProblemInputs, Where: nw, Msg: fmt.Sprintf("required input %d (%s) is missing", k, p.Name)})
		}
	}
	for k, p := range spec.Outputs {
		if !p.Optional && n.Output(k) == "" {
			v.add(Problem{Kind: ProblemInputs, Where: nw, Msg: fmt.Sprintf("required output %d (%s) is missing", k, p.Name)})
		}
	}
	return spec
}

func attrNames(s *OpSpec) []string {
	out := make([]string, len(s.Attrs))
	for i, a := range s.Attrs {
		out[i] = a.Name
	}
	return out
}

func attrKindOf(v any) AttrKind {
	switch v.(type) {
	case int64, int:
		return AttrInt
	case float64, float32:
		return AttrFloat
	case string:
		return AttrString
	case []int64:
		return AttrInts
	case []float64:
		return AttrFloats
	}
	return 0
}

// checkStateIO checks the `step` graph's state inputs/outputs against its stateful nodes.
func (v *validator) checkStateIO(g *Graph, specs []*OpSpec, stateIns map[string]bool) {
	gw := fmt.Sprintf("graph %q", g.Name)
	wantIn := map[string]bool{}
	wantOut := map[string]bool{}
	for i, spec := range specs {
		if spec == nil {
			continue
		}
		for _, s := range spec.State {
			wantIn[StateInputName(g.Nodes[i].Name, s.Name)] = true
			wantOut[StateOutputName(g.Nodes[i].Name, s.Name)] = true
		}
	}
	for name := range stateIns {
		if !wantIn[name] {
			v.add(Problem{Kind: ProblemGraph, Where: fmt.Sprintf("%s input %q", gw, name), Msg: "state input of no stateful node"})
		}
	}
	haveOut := map[string]bool{}
	for _, o := range g.Outputs {
		haveOut[o.Name] = true
	}
	for _, name := range sortedKeys(wantIn) {
		if !stateIns[name] {
			v.add(Problem{Kind: ProblemGraph, Where: gw, Msg: fmt.Sprintf("missing state input %q", name)})
		}
	}
	for _, name := range sortedKeys(wantOut) {
		if !haveOut[name] {
			v.add(Problem{Kind: ProblemGraph, Where: gw, Msg: fmt.Sprintf("missing state output %q", name)})
		}
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkStepMatchesSequence checks that `step` has the inputs and outputs of `sequence`
// (plus state), in the same order.
func (v *validator) checkStepMatchesSequence(seq, st *Graph) {
	var ins, outs []string
	for _, in := range st.Inputs {
		if !isStateName(in.Name) {
			ins = append(ins, in.Name)
		}
	}
	for _, o := range st.Outputs {
		if !isStateOutName(o.Name) {
			outs = append(outs, o.Name)
		}
	}
	names := func(vs []ValueInfo) []string {
		out := make([]string, len(vs))
		for i, x := range vs {
			out[i] = x.Name
		}
		return out
	}
	if fmt.Sprint(ins) != fmt.Sprint(names(seq.Inputs)) {
		v.add(Problem{Kind: ProblemGraph, Where: fmt.Sprintf("graph %q", GraphStep), Msg: fmt.Sprintf("non-state inputs %v, expected the inputs of %q %v", ins, GraphSequence, names(seq.Inputs))})
	}
	if fmt.Sprint(outs) != fmt.Sprint(names(seq.Outputs)) {
		v.add(Problem{Kind: ProblemGraph, Where: fmt.Sprintf("graph %q", GraphStep), Msg: fmt.Sprintf("non-state outputs %v, expected the outputs of %q %v", outs, GraphSequence, names(seq.Outputs))})
	}
}

func isStateOutName(name string) bool {
	for i := 0; i+11 <= len(name); i++ {
		if name[i:i+11] == ".state_out." {
			return true
		}
	}
	return false
}

// topoOrder returns a topological order of n nodes with deps[i] = nodes i reads from,
// taking the lowest-index ready node first (file order when the file is sorted), or
// the nodes left on or behind a cycle. O((n + edges)·log n).
func topoOrder(n int, deps [][]int) (order []int, cycle []int) {
	indeg := make([]int, n)
	users := make([][]int, n)
	for i, ds := range deps {
		for _, j := range ds {
			indeg[i]++
			users[j] = append(users[j], i)
		}
	}
	ready := &intHeap{}
	for i := 0; i < n; i++ {
		if indeg[i] == 0 {
			heap.Push(ready, i)
		}
	}
	done := make([]bool, n)
	for ready.Len() > 0 {
		i := heap.Pop(ready).(int)
		done[i] = true
		order = append(order, i)
		for _, u := range users[i] {
			indeg[u]--
			if indeg[u] == 0 {
				heap.Push(ready, u)
			}
		}
	}
	for i := 0; i < n; i++ {
		if !done[i] {
			cycle = append(cycle, i)
		}
	}
	return order, cycle
}

type intHeap []int

func (h intHeap) Len() int           { return len(h) }
func (h intHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h intHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *intHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *intHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// TopoOrder returns the node indices of g in an order where every node comes after the
// nodes whose outputs it reads (file order among independent nodes), or a *CycleError.
func (g *Graph) TopoOrder() ([]int, error) {
	producer := map[string]int{}
	for i, n := range g.Nodes {
		for _, o := range n.Outputs {
			if o != "" {
				producer[o] = i
			}
		}
	}
	deps := make([][]int, len(g.Nodes))
	for i, n := range g.Nodes {
		for _, in := range n.Inputs {
			if j, ok := producer[in]; ok && in != "" {
				deps[i] = append(deps[i], j)
			}
		}
	}
	order, cycle := topoOrder(len(g.Nodes), deps)
	if cycle != nil {
		names := make([]string, len(cycle))
		for i, j := range cycle {
			names[i] = g.Nodes[j].Name
		}
		return nil, &CycleError{Graph: g.Name, Nodes: names}
	}
	return order, nil
}

// firstNonFinite finds the first NaN or ±Inf of a float tensor by its exponent bits.
func firstNonFinite(t *Tensor) (int, float32, bool) {
	raw, err := t.ReadBytes()
	if err != nil {
		return 0, 0, false
	}
	switch t.DType {
	case F32:
		for i := 0; i+4 <= len(raw); i += 4 {
			if bits := binary.LittleEndian.Uint32(raw[i:]); bits&0x7f800000 == 0x7f800000 {
				return i / 4, math.Float32frombits(bits), true
			}
		}
	case F16:
		for i := 0; i+2 <= len(raw); i += 2 {
			if h := binary.LittleEndian.Uint16(raw[i:]); h&0x7c00 == 0x7c00 {
				return i / 2, half.ToFloat32(h), true
			}
		}
	case BF16:
		for i := 0; i+2 <= len(raw); i += 2 {
			if h := binary.LittleEndian.Uint16(raw[i:]); h&0x7f80 == 0x7f80 {
				return i / 2, math.Float32frombits(uint32(h) << 16), true
			}
		}
	}
	return 0, 0, false
}
