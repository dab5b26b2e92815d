package format

import "fmt"

// DeriveStep builds the `step` entry point from a causal `sequence` graph (OPS.md
// "State"): graph inputs and time-carrying outputs lose their time axis (axis 1),
// every stateful node gets its state as extra trailing inputs `<node>.state.<name>`
// and produces the new state as extra trailing outputs `<node>.state_out.<name>`,
// with its regular inputs/outputs padded with "" to the op's full list first. State
// inputs follow the regular graph inputs, state outputs the regular outputs, in the
// file order of the nodes. Without tensor shapes the state dimensions other than B are unknown
// (Dim{Value: -1}); Builder.DeriveStep fills them in from the builder's tensors.
// An unknown op or a sequence-only node (bidirectional S4D) is an error naming it.
func DeriveStep(seq Graph) (Graph, error) {
	return deriveStep(seq, func(string) *value { return nil })
}

// DeriveStep is the package-level DeriveStep with state shapes computed from the
// builder's tensors.
func (b *Builder) DeriveStep(seq Graph) (Graph, error) {
	return deriveStep(seq, func(name string) *value {
		i, ok := b.tensorIdx[name]
		if !ok {
			return nil
		}
		t := b.tensors[i]
		val := &value{known: true, dtype: t.dt, dims: make([]Dim, len(t.shape))}
		for k, d := range t.shape {
			val.dims[k] = Fixed(d)
		}
		return val
	})
}

func deriveStep(seq Graph, tensor func(string) *value) (Graph, error) {
	if seq.Name != GraphSequence {
		return Graph{}, fmt.Errorf("format: DeriveStep: graph %q, want %q", seq.Name, GraphSequence)
	}
	order, err := seq.TopoOrder()
	if err != nil {
		return Graph{}, fmt.Errorf("format: DeriveStep: %w", err)
	}
	st := Graph{Name: GraphStep}
	vals := map[string]*value{}
	for _, in := range seq.Inputs {
		if len(in.Shape) < 2 {
			return Graph{}, fmt.Errorf("format: DeriveStep: graph input %q has shape %s, want (B, L, …) with the time axis at 1", in.Name, dimsString(in.Shape))
		}
		s := ValueInfo{Name: in.Name, DType: in.DType, Shape: dropAxis1(in.Shape)}
		st.Inputs = append(st.Inputs, s)
		vals[in.Name] = &value{known: true, dims: s.Shape, dtype: s.DType, timed: true}
	}
	v := &validator{} // collects (and here ignores) shape problems
	nodes := make([]Node, len(seq.Nodes))
	nodeStateIns := make([][]ValueInfo, len(seq.Nodes))
	nodeStateOuts := make([][]ValueInfo, len(seq.Nodes))
	for _, i := range order {
		n := seq.Nodes[i]
		spec, ok := LookupOp(n.Domain, n.Op)
		if !ok {
			return Graph{}, fmt.Errorf("format: DeriveStep: %w", &UnknownOpError{Graph: seq.Name, Node: n.Name, Domain: n.Domain, Op: n.Op, Version: n.Version})
		}
		if n.Version > spec.Version {
			return Graph{}, fmt.Errorf("format: DeriveStep: %w", &UnknownOpError{Graph: seq.Name, Node: n.Name, Domain: n.Domain, Op: n.Op, Version: n.Version, Known: spec.Version})
		}
		if spec.SequenceOnly(&n) {
			return Graph{}, fmt.Errorf("format: DeriveStep: graph %q node %q: %s with these attributes is sequence-only (not causal), so the model has no %q entry point", seq.Name, n.Name, n.Op, GraphStep)
		}
		if len(n.Inputs) > len(spec.Inputs) || len(n.Outputs) > len(spec.Outputs) {
			return Graph{}, fmt.Errorf("format: DeriveStep: graph %q node %q: %d inputs / %d outputs, %s takes at most %d / %d", seq.Name, n.Name, len(n.Inputs), len(n.Outputs), n.Op, len(spec.Inputs), len(spec.Outputs))
		}
		c := &inferCtx{v: v, graph: GraphStep, node: &n, spec: spec, step: true, in: make([]*value, len(spec.Inputs))}
		for k := range spec.Inputs {
			name := n.Input(k)
			if name == "" {
				continue
			}
			if x, ok := vals[name]; ok {
				c.in[k] = x
			} else if x := tensor(name); x != nil {
				c.in[k] = x
			} else {
				c.in[k] = &value{opaque: true}
			}
		}
		outs := spec.infer(c)
		for k, o := range outs {
			if name := n.Output(k); name != "" {
				oc := o
				vals[name] = &oc
			}
		}
		out := cloneGraph(Graph{Nodes: []Node{n}}).Nodes[0]
		if len(spec.State) > 0 {
			out.Inputs = padNames(out.Inputs, len(spec.Inputs))
			out.Outputs = padNames(out.Outputs, len(spec.Outputs))
			for k, s := range spec.State {
				dims := []Dim{Sym("B")}
				if k < len(c.state) {
					dims = c.state[k]
				}
				in, o := StateInputName(n.Name, s.Name), StateOutputName(n.Name, s.Name)
				out.Inputs = append(out.Inputs, in)
				out.Outputs = append(out.Outputs, o)
				nodeStateIns[i] = append(nodeStateIns[i], ValueInfo{Name: in, DType: F32, Shape: dims})
				nodeStateOuts[i] = append(nodeStateOuts[i], ValueInfo{Name: o, DType: F32, Shape: append([]Dim(nil), dims...)})
			}
		}
		nodes[i] = out
	}
	st.Nodes = nodes
	for _, o := range seq.Outputs {
		x, ok := vals[o.Name]
		if !ok {
			return Graph{}, fmt.Errorf("format: DeriveStep: graph output %q is produced by no node or graph input", o.Name)
		}
		s := ValueInfo{Name: o.Name, DType: o.DType, Shape: append([]Dim(nil), o.Shape...)}
		if x.timed {
			if len(o.Shape) < 2 {
				return Graph{}, fmt.Errorf("format: DeriveStep: graph output %q carries time but has shape %s, want (B, L, …)", o.Name, dimsString(o.Shape))
			}
			s.Shape = dropAxis1(o.Shape)
		}
		st.Outputs = append(st.Outputs, s)
	}
	for i := range seq.Nodes { // state I/O in file order of the nodes
		st.Inputs = append(st.Inputs, nodeStateIns[i]...)
		st.Outputs = append(st.Outputs, nodeStateOuts[i]...)
	}
	return st, nil
}

func dropAxis1(d []Dim) []Dim {
	out := append([]Dim(nil), d[:1]...)
	return append(out, d[2:]...)
}

func padNames(s []string, n int) []string {
	for len(s) < n {
		s = append(s, "")
	}
	return s
}
