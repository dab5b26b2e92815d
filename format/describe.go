package format

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"math/bits"
	"sort"
	"strings"
	"text/tabwriter"
)

// Description is everything `spikessm inspect` shows about a model. It marshals to
// JSON with the field tags below ([]byte metadata values become base64 strings).
type Description struct {
	File              string         `json:"file"`
	SizeBytes         int64          `json:"size_bytes"`
	HeaderBytes       int64          `json:"header_bytes"` // size prefix + FlatBuffer
	SHA256            string         `json:"sha256"`
	Identifier        string         `json:"identifier"`
	FormatVersion     string         `json:"format_version"`
	MinRuntimeVersion string         `json:"min_runtime_version"`
	Producer          string         `json:"producer"`
	ProducerVersion   string         `json:"producer_version"`
	Opsets            []OpsetDesc    `json:"opset_imports"`
	Metadata          []MetaDesc     `json:"metadata"`
	EntryPoints       []EntryDesc    `json:"entry_points"`
	Tensors           []TensorDesc   `json:"tensors"`
	WeightBytes       int64          `json:"weight_bytes"` // sum of tensor sizes
	OpCounts          map[string]int `json:"op_counts"`    // over all entry points
	Notes             []string       `json:"notes,omitempty"`
}

// OpsetDesc is one opset import.
type OpsetDesc struct {
	Domain  string `json:"domain"`
	Version int    `json:"version"`
}

// MetaDesc is one metadata entry; Type is "string", "int", "float" or "bytes".
type MetaDesc struct {
	Key   string `json:"key"`
	Type  string `json:"type"`
	Value any    `json:"value"`
}

// ValueDesc is a graph input or output.
type ValueDesc struct {
	Name  string `json:"name"`
	DType string `json:"dtype"`
	Shape string `json:"shape"`
}

// NodeDesc is one node with its attributes.
type NodeDesc struct {
	Name    string         `json:"name"`
	Domain  string         `json:"domain"`
	Op      string         `json:"op"`
	Version int            `json:"version"`
	Inputs  []string       `json:"inputs"`
	Outputs []string       `json:"outputs"`
	Attrs   map[string]any `json:"attributes"`
}

// EntryDesc is one entry point. StateBytesPerStream is the size of all state tensors
// of one stream (one batch element) of the `step` entry point, -1 if not computable.
type EntryDesc struct {
	Name                string      `json:"name"`
	Inputs              []ValueDesc `json:"inputs"`
	Outputs             []ValueDesc `json:"outputs"`
	Nodes               []NodeDesc  `json:"nodes"`
	StateTensors        int         `json:"state_tensors"`
	StateBytesPerStream int64       `json:"state_bytes_per_stream"`
}

// TensorDesc is one weight tensor. Alignment is the largest power of two (≤ 4096)
// dividing Offset.
type TensorDesc struct {
	Name      string  `json:"name"`
	DType     string  `json:"dtype"`
	Shape     []int64 `json:"shape"`
	Offset    uint64  `json:"offset"`
	Alignment uint64  `json:"alignment"`
	Size      uint64  `json:"size"`
	CRC32C    string  `json:"crc32c,omitempty"`
	Scale     string  `json:"scale,omitempty"`
}

// Describe summarises m for inspection. It reads the whole file once (for the SHA-256)
// but does not validate; call Validate for that.
func Describe(m *Model) *Description {
	d := &Description{
		File:              m.name,
		SizeBytes:         m.size,
		HeaderBytes:       m.fbSize,
		Identifier:        FileIdentifier,
		FormatVersion:     m.formatVersion.String(),
		MinRuntimeVersion: m.minRuntime.String(),
		Producer:          m.producer,
		ProducerVersion:   m.producerVersion,
		OpCounts:          map[string]int{},
	}
	if h, err := m.HashErr(); err == nil {
		d.SHA256 = hex.EncodeToString(h[:])
	} else {
		d.Notes = append(d.Notes, err.Error())
	}
	for _, o := range m.opsets {
		d.Opsets = append(d.Opsets, OpsetDesc{Domain: canonicalDomain(o.Domain), Version: o.Version})
	}
	for _, k := range m.metaKeys {
		md := MetaDesc{Key: k, Value: m.meta[k]}
		switch x := m.meta[k].(type) {
		case string:
			md.Type = "string"
		case int64:
			md.Type = "int"
		case float64:
			md.Type = "float"
		case []byte:
			md.Type = "bytes"
			md.Value = base64.StdEncoding.EncodeToString(x)
		}
		d.Metadata = append(d.Metadata, md)
	}
	for _, t := range m.tensors {
		td := TensorDesc{Name: t.Name, DType: t.DType.String(), Shape: t.Shape, Offset: t.offset, Size: t.size, Scale: t.scale}
		if t.offset != 0 {
			td.Alignment = min(uint64(1)<<bits.TrailingZeros64(t.offset), 4096)
		}
		if crc, ok := t.Checksum(); ok {
			td.CRC32C = fmt.Sprintf("%08x", crc)
		}
		d.Tensors = append(d.Tensors, td)
		d.WeightBytes += int64(t.size)
	}
	for _, g := range m.graphs {
		e := EntryDesc{Name: g.Name, Inputs: valueDescs(g.Inputs), Outputs: valueDescs(g.Outputs)}
		for _, n := range g.Nodes {
			e.Nodes = append(e.Nodes, NodeDesc{Name: n.Name, Domain: canonicalDomain(n.Domain), Op: n.Op, Version: n.Version, Inputs: n.Inputs, Outputs: n.Outputs, Attrs: n.Attrs})
			d.OpCounts[n.Op]++
		}
		if g.Name == GraphStep {
			e.StateTensors, e.StateBytesPerStream = m.stateBytes(g)
		}
		d.EntryPoints = append(d.EntryPoints, e)
	}
	return d
}

func valueDescs(vs []ValueInfo) []ValueDesc {
	out := make([]ValueDesc, len(vs))
	for i, v := range vs {
		out[i] = ValueDesc{Name: v.Name, DType: v.DType.String(), Shape: dimsString(v.Shape)}
	}
	return out
}

func (m *Model) tensorValue(name string) *value {
	t, ok := m.tensorIdx[name]
	if !ok {
		return nil
	}
	val := &value{known: true, dtype: t.DType, tensor: t, dims: make([]Dim, len(t.Shape))}
	for i, d := range t.Shape {
		val.dims[i] = Fixed(d)
	}
	return val
}

// stateBytes sums the per-stream size of the step graph's state inputs: the product
// of every dimension but the batch symbol B. Unknown dims are taken from a DeriveStep
// of `sequence` with the model's tensor shapes.
func (m *Model) stateBytes(st *Graph) (int, int64) {
	var derived map[string][]Dim
	count, total := 0, int64(0)
	for _, in := range st.Inputs {
		if !isStateName(in.Name) {
			continue
		}
		count++
		dims := in.Shape
		if !allKnownButB(dims) {
			if derived == nil {
				derived = map[string][]Dim{}
				if seq, ok := m.graphIdx[GraphSequence]; ok {
					if g, err := deriveStep(*seq, m.tensorValue); err == nil {
						for _, x := range g.Inputs {
							derived[x.Name] = x.Shape
						}
					}
				}
			}
			dims = derived[in.Name]
			if dims == nil || !allKnownButB(dims) {
				return count, -1
			}
		}
		n := int64(1)
		for _, d := range dims {
			if d.Symbol != "B" {
				n *= d.Value
			}
		}
		eb := int64(in.DType.ElemBits())
		if eb == 0 {
			return count, -1
		}
		total += (n*eb + 7) / 8
	}
	return count, total
}

func allKnownButB(dims []Dim) bool {
	for _, d := range dims {
		if d.Symbol != "B" && !isFixed(d) {
			return false
		}
	}
	return true
}

// WriteText writes a human-readable report.
func (d *Description) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	p := func(format string, args ...any) { fmt.Fprintf(tw, format, args...) }
	p("file\t%s\n", d.File)
	p("size\t%d bytes (header %d, weights %d)\n", d.SizeBytes, d.HeaderBytes, d.WeightBytes)
	p("sha256\t%s\n", d.SHA256)
	p("format\t%s %s (min runtime %s)\n", d.Identifier, d.FormatVersion, d.MinRuntimeVersion)
	p("producer\t%s %s\n", d.Producer, d.ProducerVersion)
	var ops []string
	for _, o := range d.Opsets {
		ops = append(ops, fmt.Sprintf("%s v%d", o.Domain, o.Version))
	}
	p("opsets\t%s\n", strings.Join(ops, ", "))
	for _, n := range d.Notes {
		p("note\t%s\n", n)
	}
	p("\nmetadata\n")
	for _, md := range d.Metadata {
		v := fmt.Sprint(md.Value)
		if md.Type == "string" {
			v = fmt.Sprintf("%q", md.Value)
		}
		p("  %s\t%s\t%s\n", md.Key, md.Type, v)
	}
	for _, e := range d.EntryPoints {
		p("\nentry point %q (%d nodes)\n", e.Name, len(e.Nodes))
		for _, v := range e.Inputs {
			p("  input\t%s\t%s\t%s\n", v.Name, v.DType, v.Shape)
		}
		for _, v := range e.Outputs {
			p("  output\t%s\t%s\t%s\n", v.Name, v.DType, v.Shape)
		}
		if e.Name == GraphStep {
			if e.StateBytesPerStream >= 0 {
				p("  state\t%d tensors, %d bytes per stream\n", e.StateTensors, e.StateBytesPerStream)
			} else {
				p("  state\t%d tensors, size per stream unknown\n", e.StateTensors)
			}
		}
		for _, n := range e.Nodes {
			p("  node\t%s\t%s v%d\t(%s) -> (%s)%s\n", n.Name, n.Op, n.Version, strings.Join(n.Inputs, ", "), strings.Join(n.Outputs, ", "), attrText(n.Attrs))
		}
	}
	p("\ntensors (%d, %d bytes)\n", len(d.Tensors), d.WeightBytes)
	p("  name\tdtype\tshape\toffset\talign\tsize\tcrc32c\n")
	for _, t := range d.Tensors {
		p("  %s\t%s\t%v\t%d\t%d\t%d\t%s\n", t.Name, t.DType, t.Shape, t.Offset, t.Alignment, t.Size, t.CRC32C)
	}
	return tw.Flush()
}

func attrText(a map[string]any) string {
	if len(a) == 0 {
		return ""
	}
	keys := make([]string, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		if s, ok := a[k].(string); ok {
			parts[i] = fmt.Sprintf("%s=%q", k, s)
		} else {
			parts[i] = fmt.Sprintf("%s=%v", k, a[k])
		}
	}
	return "  {" + strings.Join(parts, ", ") + "}"
}
