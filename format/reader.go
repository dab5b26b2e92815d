package format

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/spikessm/spikessm/internal/half"
	"io"
	"math"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/spikessm/spikessm/format/internal/fb"
)

// Model is an opened model file. Graphs, metadata and tensor descriptors are decoded
// once at open into plain Go values (treat them as read-only); weights stay in the
// file's bytes (an mmap for Open) and Tensor.Bytes returns views into them, which
// become invalid after Close.
//
// Opening checks the file's structure (size prefix, identifier, every FlatBuffer
// offset, format version) but not its meaning: call Validate before running a model.
type Model struct {
	name string // file name for messages, or "<bytes>"
	data []byte // the whole file, or nil for a lazily read io.ReaderAt
	ra   io.ReaderAt
	size int64

	unmap  func() error
	closed bool

	formatVersion, minRuntime Version
	producer, producerVersion string
	opsets                    []OpsetImport
	meta                      map[string]any
	metaKeys                  []string
	graphs                    []*Graph
	graphIdx                  map[string]*Graph
	initializers              map[string][]string // graph name → declared initializers
	tensors                   []*Tensor
	tensorIdx                 map[string]*Tensor
	fbSize                    int64 // size of the size-prefixed FlatBuffer part, prefix included

	decodeProblems []Problem // duplicates, bad attribute kinds, ...: reported by Validate

	hashOnce sync.Once
	hash     [32]byte
	hashErr  error
}

// Tensor describes one weight tensor of a Model.
type Tensor struct {
	Name  string
	DType DType
	Shape []int64

	m            *Model
	offset, size uint64
	checksumKind uint8
	checksum     uint32
	scale        string
	quantAxis    int

	once sync.Once
	lazy []byte
	err  error
}

// decoderPanics counts panics caught in decode; the tests require it to stay zero
// (the verifier must catch everything first).
var decoderPanics atomic.Int64

// FromBytes opens a model held in memory. data is referenced, not copied: keep it
// unmodified while the Model is in use.
func FromBytes(data []byte) (*Model, error) {
	return fromBytes("<bytes>", data, nil)
}

func fromBytes(name string, data []byte, unmap func() error) (m *Model, err error) {
	if len(data) < 12 {
		return nil, fmt.Errorf("format: %s: %d bytes is too short for a spikessm model", name, len(data))
	}
	fbSize := uint64(binary.LittleEndian.Uint32(data))
	if fbSize > uint64(len(data))-4 {
		return nil, fmt.Errorf("format: %s: truncated: flatbuffer of %d bytes declared, file has %d", name, fbSize, len(data))
	}
	m = &Model{name: name, data: data, size: int64(len(data)), unmap: unmap}
	if err := m.decode(data[4 : 4+fbSize]); err != nil {
		return nil, err
	}
	return m, nil
}

// FromReaderAt opens a model of size bytes read through r. Only the FlatBuffer part
// is read at open; each tensor's bytes are read (into 64-byte aligned memory) on its
// first access.
func FromReaderAt(r io.ReaderAt, size int64) (*Model, error) {
	return fromReaderAt("<reader>", r, size)
}

func fromReaderAt(name string, r io.ReaderAt, size int64) (*Model, error) {
	if size < 12 {
		return nil, fmt.Errorf("format: %s: %d bytes is too short for a spikessm model", name, size)
	}
	var pre [4]byte
	if _, err := r.ReadAt(pre[:], 0); err != nil {
		return nil, fmt.Errorf("format: %s: read header: %w", name, err)
	}
	fbSize := int64(binary.LittleEndian.Uint32(pre[:]))
	if fbSize > size-4 {
		return nil, fmt.Errorf("format: %s: truncated: flatbuffer of %d bytes declared, file has %d", name, fbSize, size)
	}
	if fbSize > MaxFlatBufferSize {
		return nil, fmt.Errorf("format: %s: flatbuffer of %d bytes exceeds the %d limit", name, fbSize, MaxFlatBufferSize)
	}
	// io.ReadAll grows with the bytes actually delivered, so a lying size prefix
	// cannot make us allocate more than the reader really holds.
	buf, err := io.ReadAll(io.NewSectionReader(r, 4, fbSize))
	if err != nil {
		return nil, fmt.Errorf("format: %s: read flatbuffer: %w", name, err)
	}
	if int64(len(buf)) != fbSize {
		return nil, fmt.Errorf("format: %s: truncated: flatbuffer of %d bytes declared, read %d", name, fbSize, len(buf))
	}
	m := &Model{name: name, ra: r, size: size}
	if err := m.decode(buf); err != nil {
		return nil, err
	}
	return m, nil
}

// decode verifies and decodes the FlatBuffer part. A panic here would be a verifier
// bug; it is still turned into an error rather than escaping.
func (m *Model) decode(buf []byte) (err error) {
	m.fbSize = int64(len(buf)) + 4
	if len(buf) > MaxFlatBufferSize {
		return fmt.Errorf("format: %s: flatbuffer of %d bytes exceeds the %d limit", m.name, len(buf), MaxFlatBufferSize)
	}
	if err := verifyFlatBuffer(buf); err != nil {
		return fmt.Errorf("format: %s: malformed file: %w", m.name, err)
	}
	defer func() {
		if r := recover(); r != nil {
			decoderPanics.Add(1)
			err = fmt.Errorf("format: %s: malformed file (decoder panic: %v)", m.name, r)
		}
	}()
	root := fb.GetRootAsModel(buf, 0)
	var v fb.Version
	if root.FormatVersion(&v) != nil {
		m.formatVersion = Version{int(v.Major()), int(v.Minor())}
	}
	if root.MinRuntimeVersion(&v) != nil {
		m.minRuntime = Version{int(v.Major()), int(v.Minor())}
	}
	if m.formatVersion.Major != FormatMajor {
		return &VersionError{File: m.name, What: "format version", Have: m.formatVersion, Supported: Version{FormatMajor, FormatMinor}}
	}
	if RuntimeVersion.Less(m.minRuntime) {
		return &VersionError{File: m.name, What: "minimum runtime version", Have: m.minRuntime, Supported: RuntimeVersion}
	}
	m.producer = string(root.Producer())
	m.producerVersion = string(root.ProducerVersion())

	var oi fb.OpsetImport
	for i := 0; i < root.OpsetImportsLength(); i++ {
		root.OpsetImports(&oi, i)
		m.opsets = append(m.opsets, OpsetImport{Domain: string(oi.Domain()), Version: int(oi.Version())})
	}

	m.meta = map[string]any{}
	var kv fb.KeyValue
	for i := 0; i < root.MetadataLength(); i++ {
		root.Metadata(&kv, i)
		key := string(kv.Key())
		val, err := kvValue(&kv)
		if err != nil {
			m.problem(Problem{Kind: ProblemBadValue, Where: "metadata " + quote(key), Msg: err.Error()})
			continue
		}
		if _, dup := m.meta[key]; dup {
			m.problem(Problem{Kind: ProblemDuplicate, Where: "metadata " + quote(key), Msg: "key appears more than once"})
			continue
		}
		m.meta[key] = val
		m.metaKeys = append(m.metaKeys, key)
	}

	m.tensorIdx = map[string]*Tensor{}
	var ft fb.Tensor
	for i := 0; i < root.TensorsLength(); i++ {
		root.Tensors(&ft, i)
		t := &Tensor{
			Name:         string(ft.Name()),
			DType:        DType(ft.Dtype()),
			m:            m,
			offset:       ft.Offset(),
			size:         ft.Size(),
			checksumKind: uint8(ft.ChecksumKind()),
			checksum:     ft.Checksum(),
			scale:        string(ft.Scale()),
			quantAxis:    int(ft.QuantAxis()),
		}
		t.Shape = make([]int64, ft.ShapeLength())
		for j := range t.Shape {
			t.Shape[j] = ft.Shape(j)
		}
		m.tensors = append(m.tensors, t)
		if _, dup := m.tensorIdx[t.Name]; dup {
			m.problem(Problem{Kind: ProblemDuplicate, Where: "tensor " + quote(t.Name), Msg: "name appears more than once"})
			continue
		}
		m.tensorIdx[t.Name] = t
	}

	m.graphIdx = map[string]*Graph{}
	m.initializers = map[string][]string{}
	var fg fb.Graph
	for i := 0; i < root.GraphsLength(); i++ {
		root.Graphs(&fg, i)
		g := m.decodeGraph(&fg)
		m.graphs = append(m.graphs, g)
		if _, dup := m.graphIdx[g.Name]; dup {
			m.problem(Problem{Kind: ProblemDuplicate, Where: "graph " + quote(g.Name), Msg: "name appears more than once"})
			continue
		}
		m.graphIdx[g.Name] = g
		inits := make([]string, fg.InitializersLength())
		for j := range inits {
			inits[j] = string(fg.Initializers(j))
		}
		m.initializers[g.Name] = inits
	}
	return nil
}

func (m *Model) problem(p Problem) { m.decodeProblems = append(m.decodeProblems, p) }

func quote(s string) string { return fmt.Sprintf("%q", s) }

func kvValue(kv *fb.KeyValue) (any, error) {
	switch kv.Kind() {
	case fb.ValueKindINT:
		return kv.I(), nil
	case fb.ValueKindFLOAT:
		return kv.F(), nil
	case fb.ValueKindSTRING:
		return string(kv.S()), nil
	case fb.ValueKindBYTES:
		return append([]byte{}, kv.BytesBytes()...), nil
	case fb.ValueKindINTS:
		out := make([]int64, kv.IntsLength())
		for i := range out {
			out[i] = kv.Ints(i)
		}
		return out, nil
	case fb.ValueKindFLOATS:
		out := make([]float64, kv.FloatsLength())
		for i := range out {
			out[i] = kv.Floats(i)
		}
		return out, nil
	}
	return nil, fmt.Errorf("unknown value kind %d", kv.Kind())
}

func decodeVIs(n int, get func(*fb.ValueInfo, int) bool) []ValueInfo {
	out := make([]ValueInfo, n)
	var vi fb.ValueInfo
	var d fb.Dim
	for i := range out {
		get(&vi, i)
		v := ValueInfo{Name: string(vi.Name()), DType: DType(vi.Dtype()), Shape: make([]Dim, vi.ShapeLength())}
		for j := range v.Shape {
			vi.Shape(&d, j)
			v.Shape[j] = Dim{Value: d.Value(), Symbol: string(d.Symbol())}
		}
		out[i] = v
	}
	return out
}

func (m *Model) decodeGraph(fg *fb.Graph) *Graph {
	g := &Graph{Name: string(fg.Name())}
	g.Inputs = decodeVIs(fg.InputsLength(), fg.Inputs)
	g.Outputs = decodeVIs(fg.OutputsLength(), fg.Outputs)
	g.Nodes = make([]Node, fg.NodesLength())
	var fn fb.Node
	var kv fb.KeyValue
	for i := range g.Nodes {
		fg.Nodes(&fn, i)
		n := Node{
			Name:    string(fn.Name()),
			Domain:  string(fn.Domain()),
			Op:      string(fn.Op()),
			Version: int(fn.Version()),
			Inputs:  make([]string, fn.InputsLength()),
			Outputs: make([]string, fn.OutputsLength()),
			Attrs:   map[string]any{},
		}
		for j := range n.Inputs {
			n.Inputs[j] = string(fn.Inputs(j))
		}
		for j := range n.Outputs {
			n.Outputs[j] = string(fn.Outputs(j))
		}
		for j := 0; j < fn.AttributesLength(); j++ {
			fn.Attributes(&kv, j)
			key := string(kv.Key())
			where := fmt.Sprintf("graph %q node %q attribute %q", g.Name, n.Name, key)
			val, err := kvValue(&kv)
			if err == nil {
				if _, isBytes := val.([]byte); isBytes {
					err = errors.New("bytes is not an attribute type")
				}
			}
			if err != nil {
				m.problem(Problem{Kind: ProblemBadValue, Where: where, Msg: err.Error()})
				continue
			}
			if _, dup := n.Attrs[key]; dup {
				m.problem(Problem{Kind: ProblemDuplicate, Where: where, Msg: "attribute appears more than once"})
				continue
			}
			n.Attrs[key] = val
		}
		g.Nodes[i] = n
	}
	return g
}

// Close releases the file mapping. Tensor views obtained before Close must not be
// used afterwards.
func (m *Model) Close() error {
	if m.closed {
		return nil
	}
	m.closed = true
	if m.unmap != nil {
		err := m.unmap()
		m.data = nil
		return err
	}
	return nil
}

// Graph returns the entry point with that name ("sequence", "step").
func (m *Model) Graph(name string) (*Graph, bool) {
	g, ok := m.graphIdx[name]
	return g, ok
}

// Graphs returns every graph in file order.
func (m *Model) Graphs() []*Graph { return m.graphs }

// Metadata returns the typed metadata (string, int64, float64 or []byte values).
func (m *Model) Metadata() map[string]any { return m.meta }

// MetadataKeys returns the metadata keys in file order.
func (m *Model) MetadataKeys() []string { return m.metaKeys }

// Tensor returns the tensor with that name.
func (m *Model) Tensor(name string) (*Tensor, bool) {
	t, ok := m.tensorIdx[name]
	return t, ok
}

// Tensors returns every tensor in file order.
func (m *Model) Tensors() []*Tensor { return m.tensors }

// FormatVersion is the file's format version.
func (m *Model) FormatVersion() Version { return m.formatVersion }

// MinRuntimeVersion is the oldest reader version the file declares it needs.
func (m *Model) MinRuntimeVersion() Version { return m.minRuntime }

// Producer returns the writing program's name and version.
func (m *Model) Producer() (name, version string) { return m.producer, m.producerVersion }

// OpsetImports returns the declared (domain, version) op sets.
func (m *Model) OpsetImports() []OpsetImport { return m.opsets }

// Size is the file size in bytes.
func (m *Model) Size() int64 { return m.size }

// Hash returns the SHA-256 of the whole file, which identifies the model. It is
// computed on first use (reading every byte); a read error gives the zero hash (see
// HashErr).
func (m *Model) Hash() [32]byte {
	h, _ := m.HashErr()
	return h
}

// HashErr is Hash with the read error, if any.
func (m *Model) HashErr() ([32]byte, error) {
	m.hashOnce.Do(func() {
		h := sha256.New()
		if m.data != nil {
			h.Write(m.data)
		} else if m.ra != nil {
			if _, err := io.Copy(h, io.NewSectionReader(m.ra, 0, m.size)); err != nil {
				m.hashErr = fmt.Errorf("format: %s: hash: %w", m.name, err)
				return
			}
		} else {
			m.hashErr = fmt.Errorf("format: %s: hash of a closed model", m.name)
			return
		}
		copy(m.hash[:], h.Sum(nil))
	})
	return m.hash, m.hashErr
}

// NumElements is the product of the shape (0 if the shape is invalid).
func (t *Tensor) NumElements() int64 {
	n, ok := NumElements(t.Shape)
	if !ok {
		return 0
	}
	return n
}

// Offset is the absolute file offset of the tensor's first byte.
func (t *Tensor) Offset() uint64 { return t.offset }

// ByteLen is the stored size in bytes.
func (t *Tensor) ByteLen() uint64 { return t.size }

// Checksum returns the stored CRC-32C of the bytes and whether there is one.
func (t *Tensor) Checksum() (crc uint32, ok bool) {
	return t.checksum, t.checksumKind == uint8(fb.ChecksumKindCRC32C)
}

// Scale names the f32 per-channel scale tensor of an I8 tensor ("" otherwise).
func (t *Tensor) Scale() string { return t.scale }

// QuantAxis is the channel axis of an I8 tensor's scale.
func (t *Tensor) QuantAxis() int { return t.quantAxis }

// inBounds reports whether [offset, offset+size) lies inside the file.
func (t *Tensor) inBounds() bool {
	s := uint64(t.m.size)
	return t.offset <= s && t.size <= s-t.offset
}

// Bytes returns the tensor's raw little-endian bytes: a zero-copy view into the
// file for Open and FromBytes. Never modify it: for Open it is a read-only mapping
// (a write faults). It returns nil if the buffer lies outside the file or cannot be
// read (Validate and ReadBytes say why).
func (t *Tensor) Bytes() []byte {
	b, _ := t.ReadBytes()
	return b
}

// ReadBytes is Bytes with an error naming the tensor.
func (t *Tensor) ReadBytes() ([]byte, error) {
	m := t.m
	if m.closed {
		return nil, fmt.Errorf("format: %s: tensor %q: model is closed", m.name, t.Name)
	}
	if !t.inBounds() {
		return nil, fmt.Errorf("format: %s: tensor %q: buffer [%d, +%d) outside the file of %d bytes", m.name, t.Name, t.offset, t.size, m.size)
	}
	if m.data != nil {
		return m.data[t.offset : t.offset+t.size : t.offset+t.size], nil
	}
	t.once.Do(func() {
		if t.size > math.MaxInt-8 {
			t.err = fmt.Errorf("format: %s: tensor %q of %d bytes does not fit in memory", m.name, t.Name, t.size)
			return
		}
		words := make([]uint64, (t.size+7)/8) // 8-byte aligned
		buf := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(words))), len(words)*8)[:t.size:t.size]
		if _, err := m.ra.ReadAt(buf, int64(t.offset)); err != nil && !(errors.Is(err, io.EOF) && t.size == 0) {
			t.err = fmt.Errorf("format: %s: tensor %q: read: %w", m.name, t.Name, err)
			return
		}
		t.lazy = buf
	})
	return t.lazy, t.err
}

// Float32 returns the values of an F32, F16 or BF16 tensor, or of an I8 tensor
// dequantised with its scale. For F32 on a little-endian machine with a 4-byte aligned
// buffer it is a zero-copy view into the file (do not modify it); otherwise a copy.
func (t *Tensor) Float32() ([]float32, error) {
	n, ok := NumElements(t.Shape)
	if !ok {
		return nil, fmt.Errorf("format: %s: tensor %q: invalid shape %v", t.m.name, t.Name, t.Shape)
	}
	want, ok := t.DType.ByteSize(n)
	if !ok {
		return nil, fmt.Errorf("format: %s: tensor %q: unknown dtype %v", t.m.name, t.Name, t.DType)
	}
	if uint64(want) != t.size {
		return nil, fmt.Errorf("format: %s: tensor %q: %v %v needs %d bytes, buffer has %d", t.m.name, t.Name, t.DType, t.Shape, want, t.size)
	}
	raw, err := t.ReadBytes()
	if err != nil {
		return nil, err
	}
	switch t.DType {
	case F32:
		if littleEndian && uintptr(unsafe.Pointer(unsafe.SliceData(raw)))%4 == 0 {
			if n == 0 {
				return []float32{}, nil
			}
			return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(raw))), n), nil
		}
		out := make([]float32, n)
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		return out, nil
	case F16:
		out := make([]float32, n)
		for i := range out {
			out[i] = half.ToFloat32(binary.LittleEndian.Uint16(raw[2*i:]))
		}
		return out, nil
	case BF16:
		out := make([]float32, n)
		for i := range out {
			out[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(raw[2*i:])) << 16)
		}
		return out, nil
	case I8:
		return t.dequantize(raw, n)
	}
	return nil, fmt.Errorf("format: %s: tensor %q: %v is not a float type", t.m.name, t.Name, t.DType)
}

func (t *Tensor) dequantize(raw []byte, n int64) ([]float32, error) {
	st, ok := t.m.Tensor(t.scale)
	if !ok {
		return nil, fmt.Errorf("format: %s: tensor %q: scale tensor %q not found", t.m.name, t.Name, t.scale)
	}
	if st.DType != F32 {
		return nil, fmt.Errorf("format: %s: tensor %q: scale tensor %q is %v, want f32", t.m.name, t.Name, t.scale, st.DType)
	}
	if t.quantAxis < 0 || t.quantAxis >= len(t.Shape) {
		return nil, fmt.Errorf("format: %s: tensor %q: quantization axis %d out of range for shape %v", t.m.name, t.Name, t.quantAxis, t.Shape)
	}
	scale, err := st.Float32()
	if err != nil {
		return nil, err
	}
	ch := t.Shape[t.quantAxis]
	if int64(len(scale)) != ch {
		return nil, fmt.Errorf("format: %s: tensor %q: scale %q has %d values, want %d (axis %d)", t.m.name, t.Name, t.scale, len(scale), ch, t.quantAxis)
	}
	inner := int64(1)
	for _, d := range t.Shape[t.quantAxis+1:] {
		inner *= d
	}
	out := make([]float32, n)
	for i := range out {
		c := (int64(i) / inner) % ch
		out[i] = float32(int8(raw[i])) * scale[c]
	}
	return out, nil
}

func wordsToBytes(w []uint64) []byte {
	if len(w) == 0 {
		return []byte{}
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(w))), len(w)*8)
}
