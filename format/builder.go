package format

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"unsafe"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/spikessm/spikessm/format/internal/fb"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Builder assembles a model file: metadata, weight tensors and graphs. It checks
// what it can locally (names, dtypes, sizes) but does not run Validate; writers
// should open the result and call Validate (tests rely on writing invalid graphs).
// The raw weight slices passed in are referenced, not copied: do not modify them
// until Bytes or WriteFile has returned.
type Builder struct {
	producer, producerVersion string
	minRuntime                Version
	meta                      []metaEntry
	tensors                   []pendingTensor
	tensorIdx                 map[string]int
	graphs                    []Graph
}

type metaEntry struct {
	key string
	val any
}

type pendingTensor struct {
	name  string
	dt    DType
	shape []int64
	raw   []byte
	scale string
	axis  int
}

// NewBuilder returns an empty Builder.
func NewBuilder() *Builder {
	return &Builder{tensorIdx: map[string]int{}, minRuntime: Version{Major: FormatMajor}}
}

// SetProducer records the program that wrote the file (e.g. "spikessm-convert", "0.1.0").
func (b *Builder) SetProducer(name, version string) {
	b.producer, b.producerVersion = name, version
}

// SetMinRuntimeVersion sets the oldest reader version that may run the file
// (default {FormatMajor, 0}).
func (b *Builder) SetMinRuntimeVersion(v Version) { b.minRuntime = v }

// SetMeta sets a metadata entry; value is string, int64, float64 or []byte (int is
// accepted as int64). Setting a key again replaces its value.
func (b *Builder) SetMeta(key string, value any) error {
	if key == "" {
		return errors.New("format: metadata key is empty")
	}
	switch v := value.(type) {
	case string, int64, float64:
	case int:
		value = int64(v)
	case []byte:
		value = append([]byte(nil), v...)
	default:
		return fmt.Errorf("format: metadata %q: unsupported type %T (want string, int64, float64 or []byte)", key, value)
	}
	for i := range b.meta {
		if b.meta[i].key == key {
			b.meta[i].val = value
			return nil
		}
	}
	b.meta = append(b.meta, metaEntry{key, value})
	return nil
}

func (b *Builder) addTensor(t pendingTensor) error {
	if t.name == "" {
		return errors.New("format: tensor name is empty")
	}
	if _, dup := b.tensorIdx[t.name]; dup {
		return fmt.Errorf("format: tensor %q added twice", t.name)
	}
	if !t.dt.Valid() {
		return fmt.Errorf("format: tensor %q: unknown dtype %v", t.name, t.dt)
	}
	n, ok := NumElements(t.shape)
	if !ok {
		return fmt.Errorf("format: tensor %q: invalid shape %v (negative or overflowing)", t.name, t.shape)
	}
	want, ok := t.dt.ByteSize(n)
	if !ok || want != int64(len(t.raw)) {
		return fmt.Errorf("format: tensor %q: %v %v needs %d bytes, got %d", t.name, t.dt, t.shape, want, len(t.raw))
	}
	t.shape = append([]int64(nil), t.shape...)
	b.tensorIdx[t.name] = len(b.tensors)
	b.tensors = append(b.tensors, t)
	return nil
}

// AddTensor adds a weight tensor from its little-endian raw bytes. I8 tensors need
// a scale: use AddInt8.
func (b *Builder) AddTensor(name string, dt DType, shape []int64, raw []byte) error {
	if dt == I8 {
		return fmt.Errorf("format: tensor %q: i8 tensors carry a per-channel scale, use AddInt8", name)
	}
	return b.addTensor(pendingTensor{name: name, dt: dt, shape: shape, raw: raw})
}

// AddFloat32 adds an f32 tensor.
func (b *Builder) AddFloat32(name string, shape []int64, data []float32) error {
	return b.AddTensor(name, F32, shape, f32Bytes(data))
}

// AddInt8 adds a symmetric int8 tensor with a per-channel float32 scale along axis:
// real value = q·scale[index along axis]. The scale is stored as the f32 tensor
// name+".scale" of shape (shape[axis]).
func (b *Builder) AddInt8(name string, shape []int64, q []int8, scale []float32, axis int) error {
	if axis < 0 || axis >= len(shape) {
		return fmt.Errorf("format: tensor %q: quantization axis %d out of range for shape %v", name, axis, shape)
	}
	if int64(len(scale)) != shape[axis] {
		return fmt.Errorf("format: tensor %q: %d scales for axis %d of size %d", name, len(scale), axis, shape[axis])
	}
	raw := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(q))), len(q))
	sname := name + ".scale"
	if _, dup := b.tensorIdx[sname]; dup {
		return fmt.Errorf("format: tensor %q added twice", sname)
	}
	if err := b.addTensor(pendingTensor{name: name, dt: I8, shape: shape, raw: raw, scale: sname, axis: axis}); err != nil {
		return err
	}
	return b.AddFloat32(sname, []int64{int64(len(scale))}, scale)
}

// AddGraph adds an entry point. Its name must be unique. The graph is deep-copied.
func (b *Builder) AddGraph(g Graph) error {
	if g.Name == "" {
		return errors.New("format: graph name is empty")
	}
	for _, h := range b.graphs {
		if h.Name == g.Name {
			return fmt.Errorf("format: graph %q added twice", g.Name)
		}
	}
	b.graphs = append(b.graphs, cloneGraph(g))
	return nil
}

func f32Bytes(d []float32) []byte {
	if len(d) == 0 {
		return []byte{}
	}
	if !littleEndian {
		out := make([]byte, 4*len(d))
		for i, v := range d {
			binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(v))
		}
		return out
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(d))), 4*len(d))
}

var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

func align(n, a uint64) uint64 { return (n + a - 1) / a * a }

// layout computes each tensor's absolute offset given the FlatBuffer size.
func (b *Builder) layout(fbSize uint64) []uint64 {
	offs := make([]uint64, len(b.tensors))
	pos := align(4+fbSize, Alignment)
	for i, t := range b.tensors {
		offs[i] = pos
		pos = align(pos+uint64(len(t.raw)), Alignment)
	}
	return offs
}

// Bytes returns the whole file in memory.
func (b *Builder) Bytes() ([]byte, error) {
	head, offs, err := b.header()
	if err != nil {
		return nil, err
	}
	total := uint64(len(head))
	if n := len(b.tensors); n > 0 {
		total = offs[n-1] + uint64(len(b.tensors[n-1].raw))
	}
	if total > math.MaxInt {
		return nil, fmt.Errorf("format: model of %d bytes does not fit in memory, use WriteFile", total)
	}
	out := make([]byte, total)
	copy(out, head)
	for i, t := range b.tensors {
		copy(out[offs[i]:], t.raw)
	}
	return out, nil
}

// WriteFile writes the model to path (via a temporary file renamed into place).
func (b *Builder) WriteFile(path string) (err error) {
	head, offs, err := b.header()
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".ssm-*")
	if err != nil {
		return fmt.Errorf("format: write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	if _, err = w.Write(head); err != nil {
		return fmt.Errorf("format: write %s: %w", path, err)
	}
	pos := uint64(len(head))
	var zeros [Alignment]byte
	for i, t := range b.tensors {
		if _, err = w.Write(zeros[:offs[i]-pos]); err != nil {
			return fmt.Errorf("format: write %s: %w", path, err)
		}
		if _, err = w.Write(t.raw); err != nil {
			return fmt.Errorf("format: write %s: tensor %q: %w", path, t.name, err)
		}
		pos = offs[i] + uint64(len(t.raw))
	}
	if err = w.Flush(); err != nil {
		return fmt.Errorf("format: write %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("format: write %s: %w", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("format: write %s: %w", path, err)
	}
	return nil
}

// WriteTo streams the model to w and returns the number of bytes written.
func (b *Builder) WriteTo(w io.Writer) (int64, error) {
	head, offs, err := b.header()
	if err != nil {
		return 0, err
	}
	n, err := w.Write(head)
	total := int64(n)
	if err != nil {
		return total, err
	}
	var zeros [Alignment]byte
	for i, t := range b.tensors {
		n, err = w.Write(zeros[:offs[i]-uint64(total)])
		total += int64(n)
		if err != nil {
			return total, err
		}
		n, err = w.Write(t.raw)
		total += int64(n)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// header builds the size-prefixed FlatBuffer (zero-padded to the first tensor) and
// the tensors' absolute offsets. The FlatBuffer is built twice: first with
// placeholder offsets to learn its size (real offsets are never zero, so the
// same fields are present in both passes and the size cannot change), then with the
// real offsets.
func (b *Builder) header() ([]byte, []uint64, error) {
	sums := make([]uint32, len(b.tensors))
	for i, t := range b.tensors {
		sums[i] = crc32.Checksum(t.raw, castagnoli)
	}
	placeholder := make([]uint64, len(b.tensors))
	for i := range placeholder {
		placeholder[i] = 1 // nonzero like every real offset, so the field is written
	}
	first := b.buildFlat(placeholder, sums)
	if len(first) > MaxFlatBufferSize {
		return nil, nil, fmt.Errorf("format: flatbuffer part of %d bytes exceeds %d", len(first), MaxFlatBufferSize)
	}
	offs := b.layout(uint64(len(first) - 4))
	buf := b.buildFlat(offs, sums)
	if len(buf) != len(first) {
		return nil, nil, fmt.Errorf("format: internal error: flatbuffer size changed from %d to %d", len(first), len(buf))
	}
	end := uint64(len(buf))
	if len(offs) > 0 {
		end = offs[0]
	}
	head := make([]byte, end)
	copy(head, buf)
	return head, offs, nil
}

func (b *Builder) buildFlat(offs []uint64, sums []uint32) []byte {
	fbb := flatbuffers.NewBuilder(4096)

	// opset imports: every domain used, at the highest version a node asks for
	opsets := map[string]int{DomainSpikessm: OpsetVersion}
	for _, g := range b.graphs {
		for _, n := range g.Nodes {
			d := canonicalDomain(n.Domain)
			v := n.Version
			if v == 0 {
				v = 1
			}
			if d != DomainSpikessm && opsets[d] < v {
				opsets[d] = v
			}
		}
	}
	domains := make([]string, 0, len(opsets))
	for d := range opsets {
		domains = append(domains, d)
	}
	sort.Strings(domains)
	opOffs := make([]flatbuffers.UOffsetT, len(domains))
	for i, d := range domains {
		s := fbb.CreateString(d)
		fb.OpsetImportStart(fbb)
		fb.OpsetImportAddDomain(fbb, s)
		fb.OpsetImportAddVersion(fbb, int32(opsets[d]))
		opOffs[i] = fb.OpsetImportEnd(fbb)
	}
	opsetVec := vecTables(fbb, opOffs)

	metaOffs := make([]flatbuffers.UOffsetT, len(b.meta))
	for i, m := range b.meta {
		metaOffs[i] = buildKV(fbb, m.key, m.val)
	}
	metaVec := vecTables(fbb, metaOffs)

	graphOffs := make([]flatbuffers.UOffsetT, len(b.graphs))
	for i, g := range b.graphs {
		graphOffs[i] = b.buildGraph(fbb, g)
	}
	graphVec := vecTables(fbb, graphOffs)

	tOffs := make([]flatbuffers.UOffsetT, len(b.tensors))
	for i, t := range b.tensors {
		name := fbb.CreateString(t.name)
		var scale flatbuffers.UOffsetT
		if t.scale != "" {
			scale = fbb.CreateString(t.scale)
		}
		fb.TensorStartShapeVector(fbb, len(t.shape))
		for j := len(t.shape) - 1; j >= 0; j-- {
			fbb.PrependInt64(t.shape[j])
		}
		shape := fbb.EndVector(len(t.shape))
		fb.TensorStart(fbb)
		fb.TensorAddName(fbb, name)
		fb.TensorAddDtype(fbb, fb.DType(t.dt))
		fb.TensorAddShape(fbb, shape)
		fb.TensorAddOffset(fbb, offs[i])
		fb.TensorAddSize(fbb, uint64(len(t.raw)))
		fb.TensorAddChecksumKind(fbb, fb.ChecksumKindCRC32C)
		fb.TensorAddChecksum(fbb, sums[i])
		if t.scale != "" {
			fb.TensorAddScale(fbb, scale)
		}
		fb.TensorAddQuantAxis(fbb, int32(t.axis))
		tOffs[i] = fb.TensorEnd(fbb)
	}
	tensorVec := vecTables(fbb, tOffs)

	producer := fbb.CreateString(b.producer)
	producerVersion := fbb.CreateString(b.producerVersion)
	fb.ModelStart(fbb)
	fb.ModelAddFormatVersion(fbb, fb.CreateVersion(fbb, FormatMajor, FormatMinor))
	fb.ModelAddMinRuntimeVersion(fbb, fb.CreateVersion(fbb, uint16(b.minRuntime.Major), uint16(b.minRuntime.Minor)))
	fb.ModelAddProducer(fbb, producer)
	fb.ModelAddProducerVersion(fbb, producerVersion)
	fb.ModelAddOpsetImports(fbb, opsetVec)
	fb.ModelAddMetadata(fbb, metaVec)
	fb.ModelAddGraphs(fbb, graphVec)
	fb.ModelAddTensors(fbb, tensorVec)
	root := fb.ModelEnd(fbb)
	fbb.FinishSizePrefixedWithFileIdentifier(root, []byte(FileIdentifier))
	return fbb.FinishedBytes()
}

func vecTables(fbb *flatbuffers.Builder, offs []flatbuffers.UOffsetT) flatbuffers.UOffsetT {
	fbb.StartVector(4, len(offs), 4)
	for i := len(offs) - 1; i >= 0; i-- {
		fbb.PrependUOffsetT(offs[i])
	}
	return fbb.EndVector(len(offs))
}

func vecStrings(fbb *flatbuffers.Builder, ss []string) flatbuffers.UOffsetT {
	offs := make([]flatbuffers.UOffsetT, len(ss))
	for i, s := range ss {
		offs[i] = fbb.CreateSharedString(s)
	}
	return vecTables(fbb, offs)
}

func buildKV(fbb *flatbuffers.Builder, key string, val any) flatbuffers.UOffsetT {
	k := fbb.CreateString(key)
	var s, vec flatbuffers.UOffsetT
	kind := fb.ValueKindNONE
	var iv int64
	var fv float64
	switch v := val.(type) {
	case int64:
		kind, iv = fb.ValueKindINT, v
	case int:
		kind, iv = fb.ValueKindINT, int64(v)
	case float64:
		kind, fv = fb.ValueKindFLOAT, v
	case float32:
		kind, fv = fb.ValueKindFLOAT, float64(v)
	case string:
		kind, s = fb.ValueKindSTRING, fbb.CreateString(v)
	case []byte:
		kind, vec = fb.ValueKindBYTES, fbb.CreateByteVector(v)
	case []int64:
		kind = fb.ValueKindINTS
		fbb.StartVector(8, len(v), 8)
		for i := len(v) - 1; i >= 0; i-- {
			fbb.PrependInt64(v[i])
		}
		vec = fbb.EndVector(len(v))
	case []int:
		kind = fb.ValueKindINTS
		fbb.StartVector(8, len(v), 8)
		for i := len(v) - 1; i >= 0; i-- {
			fbb.PrependInt64(int64(v[i]))
		}
		vec = fbb.EndVector(len(v))
	case []float64:
		kind = fb.ValueKindFLOATS
		fbb.StartVector(8, len(v), 8)
		for i := len(v) - 1; i >= 0; i-- {
			fbb.PrependFloat64(v[i])
		}
		vec = fbb.EndVector(len(v))
	case []float32:
		kind = fb.ValueKindFLOATS
		fbb.StartVector(8, len(v), 8)
		for i := len(v) - 1; i >= 0; i-- {
			fbb.PrependFloat64(float64(v[i]))
		}
		vec = fbb.EndVector(len(v))
	}
	fb.KeyValueStart(fbb)
	fb.KeyValueAddKey(fbb, k)
	fb.KeyValueAddKind(fbb, kind)
	fb.KeyValueAddI(fbb, iv)
	fb.KeyValueAddF(fbb, fv)
	switch kind {
	case fb.ValueKindSTRING:
		fb.KeyValueAddS(fbb, s)
	case fb.ValueKindBYTES:
		fb.KeyValueAddBytes(fbb, vec)
	case fb.ValueKindINTS:
		fb.KeyValueAddInts(fbb, vec)
	case fb.ValueKindFLOATS:
		fb.KeyValueAddFloats(fbb, vec)
	}
	return fb.KeyValueEnd(fbb)
}

func buildValueInfos(fbb *flatbuffers.Builder, vis []ValueInfo) flatbuffers.UOffsetT {
	offs := make([]flatbuffers.UOffsetT, len(vis))
	for i, vi := range vis {
		name := fbb.CreateSharedString(vi.Name)
		dims := make([]flatbuffers.UOffsetT, len(vi.Shape))
		for j, d := range vi.Shape {
			var sym flatbuffers.UOffsetT
			if d.Symbol != "" {
				sym = fbb.CreateSharedString(d.Symbol)
			}
			fb.DimStart(fbb)
			v := d.Value
			if d.Symbol != "" {
				v = -1
			}
			fb.DimAddValue(fbb, v)
			if d.Symbol != "" {
				fb.DimAddSymbol(fbb, sym)
			}
			dims[j] = fb.DimEnd(fbb)
		}
		shape := vecTables(fbb, dims)
		fb.ValueInfoStart(fbb)
		fb.ValueInfoAddName(fbb, name)
		fb.ValueInfoAddDtype(fbb, fb.DType(vi.DType))
		fb.ValueInfoAddShape(fbb, shape)
		offs[i] = fb.ValueInfoEnd(fbb)
	}
	return vecTables(fbb, offs)
}

func (b *Builder) buildGraph(fbb *flatbuffers.Builder, g Graph) flatbuffers.UOffsetT {
	name := fbb.CreateSharedString(g.Name)
	ins := buildValueInfos(fbb, g.Inputs)
	outs := buildValueInfos(fbb, g.Outputs)
	var inits []string
	seen := map[string]bool{}
	nodeOffs := make([]flatbuffers.UOffsetT, len(g.Nodes))
	for i, n := range g.Nodes {
		for _, in := range n.Inputs {
			if _, ok := b.tensorIdx[in]; ok && !seen[in] {
				seen[in] = true
				inits = append(inits, in)
			}
		}
		nname := fbb.CreateSharedString(n.Name)
		dom := fbb.CreateSharedString(n.Domain)
		op := fbb.CreateSharedString(n.Op)
		nin := vecStrings(fbb, n.Inputs)
		nout := vecStrings(fbb, n.Outputs)
		keys := make([]string, 0, len(n.Attrs))
		for k := range n.Attrs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		aoffs := make([]flatbuffers.UOffsetT, len(keys))
		for j, k := range keys {
			aoffs[j] = buildKV(fbb, k, n.Attrs[k])
		}
		attrs := vecTables(fbb, aoffs)
		v := n.Version
		if v == 0 {
			v = 1
		}
		fb.NodeStart(fbb)
		fb.NodeAddName(fbb, nname)
		fb.NodeAddDomain(fbb, dom)
		fb.NodeAddOp(fbb, op)
		fb.NodeAddVersion(fbb, int32(v))
		fb.NodeAddInputs(fbb, nin)
		fb.NodeAddOutputs(fbb, nout)
		fb.NodeAddAttributes(fbb, attrs)
		nodeOffs[i] = fb.NodeEnd(fbb)
	}
	nodes := vecTables(fbb, nodeOffs)
	initVec := vecStrings(fbb, inits)
	fb.GraphStart(fbb)
	fb.GraphAddName(fbb, name)
	fb.GraphAddInputs(fbb, ins)
	fb.GraphAddOutputs(fbb, outs)
	fb.GraphAddNodes(fbb, nodes)
	fb.GraphAddInitializers(fbb, initVec)
	return fb.GraphEnd(fbb)
}

func cloneGraph(g Graph) Graph {
	out := Graph{Name: g.Name}
	out.Inputs = cloneVIs(g.Inputs)
	out.Outputs = cloneVIs(g.Outputs)
	out.Nodes = make([]Node, len(g.Nodes))
	for i, n := range g.Nodes {
		c := n
		c.Inputs = append([]string(nil), n.Inputs...)
		c.Outputs = append([]string(nil), n.Outputs...)
		if n.Attrs != nil {
			c.Attrs = make(map[string]any, len(n.Attrs))
			for k, v := range n.Attrs {
				switch x := v.(type) {
				case []int64:
					v = append([]int64(nil), x...)
				case []float64:
					v = append([]float64(nil), x...)
				}
				c.Attrs[k] = v
			}
		}
		out.Nodes[i] = c
	}
	return out
}

func cloneVIs(vis []ValueInfo) []ValueInfo {
	if vis == nil {
		return nil
	}
	out := make([]ValueInfo, len(vis))
	for i, v := range vis {
		out[i] = ValueInfo{Name: v.Name, DType: v.DType, Shape: append([]Dim(nil), v.Shape...)}
	}
	return out
}
