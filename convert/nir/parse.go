package nir

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/spikessm/spikessm/convert/hdf5"
)

// maxNesting bounds nested NIRGraph recursion.
const maxNesting = 16

// param is one numeric parameter of a NIR node.
type param struct {
	shape []int
	f64   []float64
	isInt bool
}

// node is one NIR node. For a nested NIRGraph, sub is set.
type node struct {
	name   string
	typ    string
	params map[string]*param
	sub    *graph
}

// graph is a NIRGraph: nodes by name (sorted names in order) and edges.
type graph struct {
	nodes map[string]*node
	order []string
	edges [][2]string
}

// parseFile reads the NIR graph of an opened HDF5 file.
func parseFile(f *hdf5.File) (*graph, string, error) {
	root := f.Root()
	version := ""
	if root.Has("version") {
		d, err := root.Dataset("version")
		if err != nil {
			return nil, "", err
		}
		s, err := d.Strings()
		if err != nil || len(s) != 1 {
			return nil, "", fmt.Errorf("nir: /version is not a string: %v", err)
		}
		version = s[0]
	}
	if !root.Has("node") {
		if attrs, err := root.Attrs(); err == nil {
			for _, a := range attrs {
				if a.Name == "__type__" {
					return nil, "", fmt.Errorf("nir: file holds NIRGraphData (recorded data), not a NIR graph")
				}
			}
		}
		return nil, "", fmt.Errorf("nir: no /node group: not a NIR graph file")
	}
	g, err := root.Group("node")
	if err != nil {
		return nil, "", err
	}
	typ, err := readType(g)
	if err != nil {
		return nil, "", err
	}
	if typ != "NIRGraph" {
		return nil, "", fmt.Errorf("nir: /node has type %q, want NIRGraph", typ)
	}
	gr, err := parseGraph(g, 0)
	if err != nil {
		return nil, "", err
	}
	return gr, version, nil
}

func readType(g *hdf5.Group) (string, error) {
	d, err := g.Dataset("type")
	if err != nil {
		return "", fmt.Errorf("nir: %s: missing type: %w", g.Path, err)
	}
	s, err := d.Strings()
	if err != nil {
		return "", fmt.Errorf("nir: %s/type: %w", g.Path, err)
	}
	if len(s) != 1 {
		return "", fmt.Errorf("nir: %s/type: want one string, got %d", g.Path, len(s))
	}
	return s[0], nil
}

func parseGraph(g *hdf5.Group, depth int) (*graph, error) {
	if depth > maxNesting {
		return nil, fmt.Errorf("nir: %s: NIRGraphs nested deeper than %d", g.Path, maxNesting)
	}
	gr := &graph{nodes: map[string]*node{}}
	if g.Has("edges") {
		d, err := g.Dataset("edges")
		if err != nil {
			return nil, err
		}
		s, err := d.Strings()
		if err != nil {
			return nil, fmt.Errorf("nir: %s/edges: %w", g.Path, err)
		}
		if len(s) > 0 && (len(d.Shape) != 2 || d.Shape[1] != 2) {
			return nil, fmt.Errorf("nir: %s/edges: shape %v, want (E, 2)", g.Path, d.Shape)
		}
		for i := 0; i+1 < len(s); i += 2 {
			gr.edges = append(gr.edges, [2]string{s[i], s[i+1]})
		}
	}
	if !g.Has("nodes") {
		return nil, fmt.Errorf("nir: %s: NIRGraph without nodes", g.Path)
	}
	ng, err := g.Group("nodes")
	if err != nil {
		return nil, err
	}
	names, err := ng.Names()
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		cg, err := ng.Group(name)
		if err != nil {
			return nil, fmt.Errorf("nir: node %q: %w", name, err)
		}
		typ, err := readType(cg)
		if err != nil {
			return nil, err
		}
		n := &node{name: name, typ: typ, params: map[string]*param{}}
		if typ == "NIRGraph" {
			if n.sub, err = parseGraph(cg, depth+1); err != nil {
				return nil, err
			}
		} else {
			ms, err := cg.Members()
			if err != nil {
				return nil, err
			}
			for _, m := range ms {
				if m.Kind != hdf5.KindDataset || m.Name == "type" {
					continue // metadata groups, the type string
				}
				d, err := cg.Dataset(m.Name)
				if err != nil {
					return nil, err
				}
				if d.Type.Class != hdf5.ClassInt && d.Type.Class != hdf5.ClassFloat {
					continue // string-valued fields carry no numbers we map
				}
				v, err := d.Float64()
				if err != nil {
					return nil, fmt.Errorf("nir: node %q parameter %q: %w", name, m.Name, err)
				}
				n.params[m.Name] = &param{shape: append([]int(nil), d.Shape...), f64: v, isInt: d.Type.Class == hdf5.ClassInt}
			}
		}
		gr.nodes[name] = n
		gr.order = append(gr.order, name)
	}
	sort.Strings(gr.order)
	return gr, nil
}

// flat is a NIR graph with nested graphs inlined.
type flat struct {
	nodes map[string]*node
	order []string
	edges [][2]string
	notes []string
}

// flatten inlines nested NIRGraphs: a subgraph node "g" with inner nodes
// "a", "b" becomes "g.a", "g.b"; its inner Input and Output nodes become
// Identity pass-throughs that the outer edges connect to.
func flatten(g *graph) (*flat, error) {
	f := &flat{nodes: map[string]*node{}}
	if err := f.add(g, "", 0); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *flat) add(g *graph, prefix string, depth int) error {
	// endpoint maps a local node name to the flat node receiving (in) or
	// producing (out) edges.
	in := map[string]string{}
	out := map[string]string{}
	for _, name := range g.order {
		n := g.nodes[name]
		full := prefix + name
		if n.sub == nil {
			if _, dup := f.nodes[full]; dup {
				return fmt.Errorf("nir: node name %q is used twice after flattening nested graphs", full)
			}
			c := *n
			c.name = full
			if depth > 0 && (n.typ == "Input" || n.typ == "Output") {
				c.typ = "Identity"
			}
			f.nodes[full] = &c
			f.order = append(f.order, full)
			in[name], out[name] = full, full
			continue
		}
		if err := f.add(n.sub, full+".", depth+1); err != nil {
			return err
		}
		ins, outs := ports(n.sub, "Input"), ports(n.sub, "Output")
		if len(ins) != 1 || len(outs) != 1 {
			return fmt.Errorf("nir: nested graph %q has %d Input and %d Output nodes; exactly one of each is supported", full, len(ins), len(outs))
		}
		in[name], out[name] = full+"."+ins[0], full+"."+outs[0]
	}
	referenced := map[string]bool{}
	for _, e := range g.edges {
		referenced[e[0]], referenced[e[1]] = true, true
	}
	resolve := func(local string, m map[string]string) (string, error) {
		if v, ok := m[local]; ok {
			return v, nil
		}
		// Some exporters write edges naming a node by a prefix of its name
		// (the NIR paper's braille subgraph file names node "lif1" as "lif").
		// Accept that only when exactly one unreferenced node matches.
		var cands []string
		for _, name := range g.order {
			if !referenced[name] && strings.HasPrefix(name, local) {
				cands = append(cands, name)
			}
		}
		where := "graph"
		if prefix != "" {
			where = fmt.Sprintf("nested graph %q", strings.TrimSuffix(prefix, "."))
		}
		if len(cands) != 1 {
			return "", fmt.Errorf("nir: %s: edge endpoint %q names no node (nodes: %s)", where, local, strings.Join(g.order, ", "))
		}
		f.notes = append(f.notes, fmt.Sprintf("%s: edge endpoint %q resolved to node %q, the only node not named by any edge that starts with it", where, local, cands[0]))
		return m[cands[0]], nil
	}
	for _, e := range g.edges {
		src, err := resolve(e[0], out)
		if err != nil {
			return err
		}
		dst, err := resolve(e[1], in)
		if err != nil {
			return err
		}
		f.edges = append(f.edges, [2]string{src, dst})
	}
	return nil
}

func ports(g *graph, typ string) []string {
	var out []string
	for _, name := range g.order {
		if g.nodes[name].typ == typ {
			out = append(out, name)
		}
	}
	return out
}

// get returns a node parameter or an error naming it.
func (n *node) get(key string) (*param, error) {
	p, ok := n.params[key]
	if !ok {
		return nil, fmt.Errorf("nir: node %q (%s): missing parameter %q", n.name, n.typ, key)
	}
	for i, v := range p.f64 {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("nir: node %q (%s): parameter %q[%d] is %v", n.name, n.typ, key, i, v)
		}
	}
	return p, nil
}

// vec returns a per-channel parameter of length c (a scalar or a length-1
// array broadcasts; other shapes whose size is c are flattened).
func (n *node) vec(key string, c int) ([]float64, error) {
	p, err := n.get(key)
	if err != nil {
		return nil, err
	}
	return n.broadcast(key, p, c)
}

// vecOr is vec with a default value when the parameter is absent.
func (n *node) vecOr(key string, c int, def float64) ([]float64, error) {
	if _, ok := n.params[key]; !ok {
		out := make([]float64, c)
		for i := range out {
			out[i] = def
		}
		return out, nil
	}
	return n.vec(key, c)
}

func (n *node) broadcast(key string, p *param, c int) ([]float64, error) {
	switch len(p.f64) {
	case c:
		return append([]float64(nil), p.f64...), nil
	case 1:
		out := make([]float64, c)
		for i := range out {
			out[i] = p.f64[0]
		}
		return out, nil
	}
	return nil, fmt.Errorf("nir: node %q (%s): parameter %q has shape %v, want %d channels", n.name, n.typ, key, p.shape, c)
}
