package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/spikessm/spikessm/internal/half"
	"io"
	"math"
	"os"
	"sort"
)

// MaxHeaderSize caps the JSON header length (100 MB, as upstream does).
const MaxHeaderSize = 100 << 20

// Tensor is one named tensor of a safetensors file. Data holds the raw
// little-endian bytes (len = product(Shape) × element size; for the packed
// sub-byte types nothing else is supported).
type Tensor struct {
	Name  string
	DType string
	Shape []int
	Data  []byte
}

// File is a parsed safetensors file.
type File struct {
	// Metadata is the "__metadata__" map (nil when absent).
	Metadata map[string]string
	// Tensors are in data-offset order.
	Tensors []*Tensor
	byName  map[string]*Tensor
}

// dtypeSize gives the element size in bytes of each supported dtype.
var dtypeSize = map[string]int{
	"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1,
	"I16": 2, "U16": 2, "F16": 2, "BF16": 2,
	"I32": 4, "U32": 4, "F32": 4,
	"I64": 8, "U64": 8, "F64": 8,
}

// ElementSize returns the byte size of one element of dtype, or false when
// the dtype is not supported by this package.
func ElementSize(dtype string) (int, bool) {
	n, ok := dtypeSize[dtype]
	return n, ok
}

// Get returns the tensor with the given name.
func (f *File) Get(name string) (*Tensor, bool) {
	t, ok := f.byName[name]
	return t, ok
}

// NumElements returns the product of the shape (1 for a scalar).
func (t *Tensor) NumElements() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

type headerEntry struct {
	DType       string  `json:"dtype"`
	Shape       []int64 `json:"shape"`
	DataOffsets []int64 `json:"data_offsets"`
}

// ReadFile reads and parses the safetensors file at path.
func ReadFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// Parse parses a whole safetensors file held in memory. Tensor data slices
// alias data.
func Parse(data []byte) (*File, error) {
	if len(data) < 8 {
		return nil, fmt.Errorf("safetensors: file of %d bytes is shorter than the 8-byte header length", len(data))
	}
	hl := binary.LittleEndian.Uint64(data[:8])
	if hl > MaxHeaderSize {
		return nil, fmt.Errorf("safetensors: header length %d exceeds the %d-byte limit", hl, MaxHeaderSize)
	}
	if hl > uint64(len(data)-8) {
		return nil, fmt.Errorf("safetensors: header length %d exceeds the file size %d", hl, len(data))
	}
	hdr := data[8 : 8+hl]
	if len(hdr) == 0 || hdr[0] != '{' {
		return nil, errors.New("safetensors: header does not start with '{'")
	}
	body := data[8+hl:]
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(hdr))
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("safetensors: header JSON: %w", err)
	}
	// Trailing content after the JSON object may only be padding spaces.
	rest := hdr[dec.InputOffset():]
	if len(bytes.Trim(rest, " \t\r\n\x00")) != 0 {
		return nil, errors.New("safetensors: unexpected bytes after the header JSON object")
	}
	f := &File{byName: make(map[string]*Tensor, len(raw))}
	type span struct {
		begin, end int64
		name       string
	}
	spans := make([]span, 0, len(raw))
	for name, msg := range raw {
		if name == "__metadata__" {
			if err := json.Unmarshal(msg, &f.Metadata); err != nil {
				return nil, fmt.Errorf("safetensors: __metadata__ must map strings to strings: %w", err)
			}
			continue
		}
		var e headerEntry
		if err := json.Unmarshal(msg, &e); err != nil {
			return nil, fmt.Errorf("safetensors: tensor %q: %w", name, err)
		}
		es, ok := dtypeSize[e.DType]
		if !ok {
			return nil, fmt.Errorf("safetensors: tensor %q: unsupported dtype %q", name, e.DType)
		}
		if len(e.DataOffsets) != 2 {
			return nil, fmt.Errorf("safetensors: tensor %q: data_offsets must have 2 entries, has %d", name, len(e.DataOffsets))
		}
		b, en := e.DataOffsets[0], e.DataOffsets[1]
		if b < 0 || en < b || en > int64(len(body)) {
			return nil, fmt.Errorf("safetensors: tensor %q: data_offsets [%d, %d] outside the %d data bytes", name, b, en, len(body))
		}
		n := int64(1)
		shape := make([]int, len(e.Shape))
		for i, d := range e.Shape {
			if d < 0 {
				return nil, fmt.Errorf("safetensors: tensor %q: negative dimension %d", name, d)
			}
			if d != 0 && n > int64(len(body))/d+1 {
				return nil, fmt.Errorf("safetensors: tensor %q: shape %v too large for the file", name, e.Shape)
			}
			n *= d
			shape[i] = int(d)
		}
		if n*int64(es) != en-b {
			return nil, fmt.Errorf("safetensors: tensor %q: %s shape %v needs %d bytes, data_offsets give %d", name, e.DType, e.Shape, n*int64(es), en-b)
		}
		t := &Tensor{Name: name, DType: e.DType, Shape: shape, Data: body[b:en:en]}
		f.byName[name] = t
		spans = append(spans, span{b, en, name})
	}
	sort.Slice(spans, func(i, j int) bool {
		if spans[i].begin != spans[j].begin {
			return spans[i].begin < spans[j].begin
		}
		if spans[i].end != spans[j].end {
			return spans[i].end < spans[j].end
		}
		return spans[i].name < spans[j].name
	})
	var prevEnd int64
	prevName := ""
	for _, s := range spans {
		if s.begin < s.end {
			if s.begin < prevEnd {
				return nil, fmt.Errorf("safetensors: tensors %q and %q overlap", prevName, s.name)
			}
			prevEnd, prevName = s.end, s.name
		}
		f.Tensors = append(f.Tensors, f.byName[s.name])
	}
	return f, nil
}

// Write writes tensors, with their data in the given order, and metadata as
// a safetensors file. The header is padded with spaces to a multiple of 8,
// so data starts 8-byte aligned; put 8-byte dtypes first to keep every
// tensor aligned to its element size.
func Write(w io.Writer, tensors []*Tensor, metadata map[string]string) error {
	hdr := make(map[string]any, len(tensors)+1)
	if len(metadata) > 0 {
		hdr["__metadata__"] = metadata
	}
	var off int64
	seen := make(map[string]bool, len(tensors))
	for _, t := range tensors {
		if t == nil {
			return errors.New("safetensors: nil tensor")
		}
		if t.Name == "__metadata__" || t.Name == "" {
			return fmt.Errorf("safetensors: invalid tensor name %q", t.Name)
		}
		if seen[t.Name] {
			return fmt.Errorf("safetensors: duplicate tensor %q", t.Name)
		}
		seen[t.Name] = true
		es, ok := dtypeSize[t.DType]
		if !ok {
			return fmt.Errorf("safetensors: tensor %q: unsupported dtype %q", t.Name, t.DType)
		}
		for _, d := range t.Shape {
			if d < 0 {
				return fmt.Errorf("safetensors: tensor %q: negative dimension %d", t.Name, d)
			}
		}
		if len(t.Data) != t.NumElements()*es {
			return fmt.Errorf("safetensors: tensor %q: %d data bytes, shape %v of %s needs %d", t.Name, len(t.Data), t.Shape, t.DType, t.NumElements()*es)
		}
		shape := t.Shape
		if shape == nil {
			shape = []int{}
		}
		hdr[t.Name] = map[string]any{"dtype": t.DType, "shape": shape, "data_offsets": []int64{off, off + int64(len(t.Data))}}
		off += int64(len(t.Data))
	}
	js, err := json.Marshal(hdr)
	if err != nil {
		return fmt.Errorf("safetensors: header: %w", err)
	}
	for len(js)%8 != 0 {
		js = append(js, ' ')
	}
	var lb [8]byte
	binary.LittleEndian.PutUint64(lb[:], uint64(len(js)))
	if _, err := w.Write(lb[:]); err != nil {
		return err
	}
	if _, err := w.Write(js); err != nil {
		return err
	}
	for _, t := range tensors {
		if _, err := w.Write(t.Data); err != nil {
			return err
		}
	}
	return nil
}

// Float64 converts the tensor's elements to float64 (every numeric dtype;
// BOOL gives 0/1).
func (t *Tensor) Float64() ([]float64, error) {
	es, ok := dtypeSize[t.DType]
	if !ok {
		return nil, fmt.Errorf("safetensors: tensor %q: unsupported dtype %q", t.Name, t.DType)
	}
	n := len(t.Data) / es
	out := make([]float64, n)
	d := t.Data
	le := binary.LittleEndian
	for i := range out {
		switch t.DType {
		case "BOOL", "U8":
			out[i] = float64(d[i])
		case "I8":
			out[i] = float64(int8(d[i]))
		case "F8_E5M2":
			out[i] = float64(f8e5m2(d[i]))
		case "F8_E4M3":
			out[i] = float64(f8e4m3(d[i]))
		case "I16":
			out[i] = float64(int16(le.Uint16(d[2*i:])))
		case "U16":
			out[i] = float64(le.Uint16(d[2*i:]))
		case "F16":
			out[i] = float64(half.ToFloat32(le.Uint16(d[2*i:])))
		case "BF16":
			out[i] = float64(math.Float32frombits(uint32(le.Uint16(d[2*i:])) << 16))
		case "I32":
			out[i] = float64(int32(le.Uint32(d[4*i:])))
		case "U32":
			out[i] = float64(le.Uint32(d[4*i:]))
		case "F32":
			out[i] = float64(math.Float32frombits(le.Uint32(d[4*i:])))
		case "I64":
			out[i] = float64(int64(le.Uint64(d[8*i:])))
		case "U64":
			out[i] = float64(le.Uint64(d[8*i:]))
		case "F64":
			out[i] = math.Float64frombits(le.Uint64(d[8*i:]))
		}
	}
	return out, nil
}

// Float32 converts the tensor's elements to float32. F32 is decoded
// directly; other dtypes go through Float64 (exact for every integer up to
// 2^24 and for all 16-bit floats).
func (t *Tensor) Float32() ([]float32, error) {
	if t.DType == "F32" {
		out := make([]float32, len(t.Data)/4)
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.Data[4*i:]))
		}
		return out, nil
	}
	f, err := t.Float64()
	if err != nil {
		return nil, err
	}
	out := make([]float32, len(f))
	for i, v := range f {
		out[i] = float32(v)
	}
	return out, nil
}

// Int64 converts integer and BOOL tensors to int64. Float dtypes are an
// error (no silent truncation); U64 values above MaxInt64 are an error.
func (t *Tensor) Int64() ([]int64, error) {
	es, ok := dtypeSize[t.DType]
	if !ok {
		return nil, fmt.Errorf("safetensors: tensor %q: unsupported dtype %q", t.Name, t.DType)
	}
	n := len(t.Data) / es
	out := make([]int64, n)
	d := t.Data
	le := binary.LittleEndian
	for i := range out {
		switch t.DType {
		case "BOOL", "U8":
			out[i] = int64(d[i])
		case "I8":
			out[i] = int64(int8(d[i]))
		case "I16":
			out[i] = int64(int16(le.Uint16(d[2*i:])))
		case "U16":
			out[i] = int64(le.Uint16(d[2*i:]))
		case "I32":
			out[i] = int64(int32(le.Uint32(d[4*i:])))
		case "U32":
			out[i] = int64(le.Uint32(d[4*i:]))
		case "I64":
			out[i] = int64(le.Uint64(d[8*i:]))
		case "U64":
			v := le.Uint64(d[8*i:])
			if v > math.MaxInt64 {
				return nil, fmt.Errorf("safetensors: tensor %q: U64 element %d = %d overflows int64", t.Name, i, v)
			}
			out[i] = int64(v)
		default:
			return nil, fmt.Errorf("safetensors: tensor %q: dtype %s is not an integer type", t.Name, t.DType)
		}
	}
	return out, nil
}

// f8e5m2 decodes an OCP FP8 E5M2 value (the top byte of a binary16).
func f8e5m2(b byte) float32 { return half.ToFloat32(uint16(b) << 8) }

// f8e4m3 decodes an OCP FP8 E4M3FN value (bias 7, no infinities,
// S.1111.111 is NaN).
func f8e4m3(b byte) float32 {
	sign := float32(1)
	if b&0x80 != 0 {
		sign = -1
	}
	exp := int(b>>3) & 0xf
	man := float32(b & 7)
	if exp == 0xf && b&7 == 7 {
		return float32(math.NaN())
	}
	if exp == 0 {
		return sign * man / 8 * float32(math.Ldexp(1, -6))
	}
	return sign * (1 + man/8) * float32(math.Ldexp(1, exp-7))
}
