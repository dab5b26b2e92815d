package hdf5

import (
	"encoding/binary"
	"fmt"
	"github.com/spikessm/spikessm/internal/half"
	"math"
	"strings"
)

// Class is an HDF5 datatype class supported by this reader.
type Class int

// Datatype classes.
const (
	ClassInt    Class = 0 // fixed-point
	ClassFloat  Class = 1 // IEEE floating point
	ClassString Class = 3 // fixed-length string
	ClassVarStr Class = 9 // variable-length string (global heap)
)

// String names the class.
func (c Class) String() string {
	switch c {
	case ClassInt:
		return "integer"
	case ClassFloat:
		return "float"
	case ClassString:
		return "fixed-length string"
	case ClassVarStr:
		return "variable-length string"
	}
	return fmt.Sprintf("class(%d)", int(c))
}

// Datatype describes the element type of a dataset or attribute.
type Datatype struct {
	Class  Class
	Size   int  // bytes per element as stored (16 for a vlen reference with 8-byte offsets)
	Signed bool // integers
}

// String describes the type like "f32", "i64", "u8", "vlen-string".
func (d Datatype) String() string {
	switch d.Class {
	case ClassInt:
		if d.Signed {
			return fmt.Sprintf("i%d", 8*d.Size)
		}
		return fmt.Sprintf("u%d", 8*d.Size)
	case ClassFloat:
		return fmt.Sprintf("f%d", 8*d.Size)
	case ClassString:
		return fmt.Sprintf("string[%d]", d.Size)
	case ClassVarStr:
		return "vlen-string"
	}
	return d.Class.String()
}

var classNames = map[int]string{2: "time", 4: "bitfield", 5: "opaque", 6: "compound", 7: "reference", 8: "enum", 9: "variable-length sequence", 10: "array", 11: "complex"}

func (f *File) parseDatatype(b []byte, ctx string) (Datatype, int, error) {
	r := f.sub(b, ctx)
	cv := r.u8()
	bits := r.bytes(3)
	size := r.u32()
	if r.err != nil {
		return Datatype{}, 0, r.err
	}
	class := int(cv & 0x0f)
	dt := Datatype{Class: Class(class), Size: int(size)}
	switch class {
	case 0:
		if bits[0]&1 != 0 {
			return dt, 0, fmt.Errorf("hdf5: %s: big-endian integers are not supported", ctx)
		}
		dt.Signed = bits[0]&0x08 != 0
		off := r.u16()
		prec := r.u16()
		if off != 0 || int(prec) != 8*int(size) || (size != 1 && size != 2 && size != 4 && size != 8) {
			return dt, 0, fmt.Errorf("hdf5: %s: unsupported integer layout (size %d, offset %d, precision %d)", ctx, size, off, prec)
		}
	case 1:
		if bits[0]&1 != 0 || bits[0]&0x40 != 0 {
			return dt, 0, fmt.Errorf("hdf5: %s: big-endian or VAX floats are not supported", ctx)
		}
		r.skip(12)
		if size != 2 && size != 4 && size != 8 {
			return dt, 0, fmt.Errorf("hdf5: %s: unsupported float size %d", ctx, size)
		}
	case 3:
		if size == 0 {
			return dt, 0, fmt.Errorf("hdf5: %s: zero-size string type", ctx)
		}
	case 9:
		if bits[0]&0x0f != 1 {
			return dt, 0, fmt.Errorf("hdf5: %s: variable-length sequences (not strings) are not supported", ctx)
		}
		// base type follows; parse it to advance, it is a 1-byte char type.
		_, n, err := f.parseDatatypeBase(r.b[r.pos:], ctx)
		if err != nil {
			return dt, 0, err
		}
		r.skip(n)
		if int(size) != 4+f.offSize+4 {
			return dt, 0, fmt.Errorf("hdf5: %s: variable-length string of size %d, want %d", ctx, size, 4+f.offSize+4)
		}
	default:
		name := classNames[class]
		if name == "" {
			name = fmt.Sprintf("class %d", class)
		}
		return dt, 0, fmt.Errorf("hdf5: %s: datatype %s is not supported", ctx, name)
	}
	if r.err != nil {
		return dt, 0, r.err
	}
	return dt, r.pos, nil
}

// parseDatatypeBase parses a base type of a vlen type and returns the
// number of bytes consumed; only its length matters here.
func (f *File) parseDatatypeBase(b []byte, ctx string) (Datatype, int, error) {
	r := f.sub(b, ctx)
	cv := r.u8()
	r.skip(3)
	size := r.u32()
	switch cv & 0x0f {
	case 0:
		r.skip(4)
	case 1:
		r.skip(12)
	case 3:
	default:
		if r.err == nil {
			return Datatype{}, 0, fmt.Errorf("hdf5: %s: unsupported vlen base type class %d", ctx, cv&0x0f)
		}
	}
	if r.err != nil {
		return Datatype{}, 0, r.err
	}
	return Datatype{Class: Class(cv & 0x0f), Size: int(size)}, r.pos, nil
}

// parseDataspace returns the dimensions (nil slice for a scalar) and
// whether the space is null (no data).
func (f *File) parseDataspace(b []byte, ctx string) (dims []uint64, null bool, n int, err error) {
	r := f.sub(b, ctx)
	ver := r.u8()
	rank := int(r.u8())
	flags := r.u8()
	switch ver {
	case 1:
		r.skip(5)
	case 2:
		typ := r.u8()
		if typ == 2 {
			null = true
		}
	default:
		if r.err == nil {
			return nil, false, 0, fmt.Errorf("hdf5: %s: unsupported dataspace version %d", ctx, ver)
		}
	}
	if rank > maxDims {
		return nil, false, 0, fmt.Errorf("hdf5: %s: rank %d too large", ctx, rank)
	}
	dims = make([]uint64, rank)
	for i := range dims {
		dims[i] = r.length()
	}
	if flags&1 != 0 {
		for i := 0; i < rank; i++ {
			r.length()
		}
	}
	if ver == 1 && flags&2 != 0 {
		for i := 0; i < rank; i++ {
			r.u32()
		}
	}
	if r.err != nil {
		return nil, false, 0, r.err
	}
	return dims, null, r.pos, nil
}

// decoded values ------------------------------------------------------------

// value is raw element bytes with their type and shape.
type value struct {
	ctx   string
	dt    Datatype
	shape []int
	raw   []byte
	f     *File
}

func numElements(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// check verifies that raw holds every element.
func (v *value) check() error {
	n := numElements(v.shape)
	if n < 0 || v.dt.Size <= 0 || len(v.raw)/v.dt.Size < n {
		return fmt.Errorf("hdf5: %s: %d data bytes for %d elements of %s", v.ctx, len(v.raw), n, v.dt)
	}
	return nil
}

func (v *value) float64s() ([]float64, error) {
	if err := v.check(); err != nil {
		return nil, err
	}
	n := numElements(v.shape)
	out := make([]float64, n)
	es := v.dt.Size
	le := binary.LittleEndian
	switch v.dt.Class {
	case ClassFloat:
		for i := range out {
			p := v.raw[i*es:]
			switch es {
			case 2:
				out[i] = float64(half.ToFloat32(le.Uint16(p)))
			case 4:
				out[i] = float64(math.Float32frombits(le.Uint32(p)))
			case 8:
				out[i] = math.Float64frombits(le.Uint64(p))
			}
		}
	case ClassInt:
		ints, err := v.int64s()
		if err != nil {
			return nil, err
		}
		for i, x := range ints {
			out[i] = float64(x)
		}
	default:
		return nil, fmt.Errorf("hdf5: %s: %s data is not numeric", v.ctx, v.dt)
	}
	return out, nil
}

func (v *value) float32s() ([]float32, error) {
	if err := v.check(); err != nil {
		return nil, err
	}
	if v.dt.Class == ClassFloat && v.dt.Size == 4 {
		out := make([]float32, numElements(v.shape))
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(v.raw[4*i:]))
		}
		return out, nil
	}
	f64, err := v.float64s()
	if err != nil {
		return nil, err
	}
	out := make([]float32, len(f64))
	for i, x := range f64 {
		out[i] = float32(x)
	}
	return out, nil
}

func (v *value) int64s() ([]int64, error) {
	if v.dt.Class != ClassInt {
		return nil, fmt.Errorf("hdf5: %s: %s data is not an integer type", v.ctx, v.dt)
	}
	if err := v.check(); err != nil {
		return nil, err
	}
	n := numElements(v.shape)
	out := make([]int64, n)
	es := v.dt.Size
	le := binary.LittleEndian
	for i := range out {
		p := v.raw[i*es:]
		switch {
		case es == 1 && v.dt.Signed:
			out[i] = int64(int8(p[0]))
		case es == 1:
			out[i] = int64(p[0])
		case es == 2 && v.dt.Signed:
			out[i] = int64(int16(le.Uint16(p)))
		case es == 2:
			out[i] = int64(le.Uint16(p))
		case es == 4 && v.dt.Signed:
			out[i] = int64(int32(le.Uint32(p)))
		case es == 4:
			out[i] = int64(le.Uint32(p))
		case es == 8:
			x := le.Uint64(p)
			if !v.dt.Signed && x > math.MaxInt64 {
				return nil, fmt.Errorf("hdf5: %s: u64 element %d = %d overflows int64", v.ctx, i, x)
			}
			out[i] = int64(x)
		}
	}
	return out, nil
}

func (v *value) strings() ([]string, error) {
	if err := v.check(); err != nil {
		return nil, err
	}
	n := numElements(v.shape)
	out := make([]string, n)
	switch v.dt.Class {
	case ClassString:
		for i := range out {
			s := v.raw[i*v.dt.Size : (i+1)*v.dt.Size]
			out[i] = strings.TrimRight(string(s), "\x00 ")
		}
	case ClassVarStr:
		for i := range out {
			r := v.f.sub(v.raw[i*v.dt.Size:(i+1)*v.dt.Size], v.ctx)
			length := r.u32()
			addr := r.off()
			idx := r.u32()
			if r.err != nil {
				return nil, r.err
			}
			if length == 0 {
				continue
			}
			obj, err := v.f.globalHeapObject(addr, idx, v.ctx)
			if err != nil {
				return nil, err
			}
			if uint64(length) > uint64(len(obj)) {
				return nil, fmt.Errorf("hdf5: %s: string of %d bytes in a heap object of %d", v.ctx, length, len(obj))
			}
			out[i] = string(obj[:length])
		}
	default:
		return nil, fmt.Errorf("hdf5: %s: %s data is not a string type", v.ctx, v.dt)
	}
	return out, nil
}

type globalHeap struct {
	objects map[uint32][]byte
}

func (f *File) globalHeapObject(addr uint64, idx uint32, ctx string) ([]byte, error) {
	h, ok := f.gheapCache[addr]
	if !ok {
		var err error
		h, err = f.readGlobalHeap(addr, ctx)
		if err != nil {
			return nil, err
		}
		f.gheapCache[addr] = h
	}
	obj, ok := h.objects[idx]
	if !ok {
		return nil, fmt.Errorf("hdf5: %s: global heap object %d not found in collection at %d", ctx, idx, addr)
	}
	return obj, nil
}

func (f *File) readGlobalHeap(addr uint64, ctx string) (*globalHeap, error) {
	ctx += " (global heap)"
	r := f.reader(addr, ctx)
	start := r.pos
	r.sig("GCOL")
	if v := r.u8(); r.err == nil && v != 1 {
		return nil, fmt.Errorf("hdf5: %s: unsupported global heap version %d", ctx, v)
	}
	r.skip(3)
	size := r.length()
	if r.err != nil {
		return nil, r.err
	}
	if size < 16 || size > uint64(len(r.b)-start) {
		return nil, fmt.Errorf("hdf5: %s: collection size %d invalid", ctx, size)
	}
	cr := f.sub(r.b[start:start+int(size)], ctx)
	cr.pos = r.pos - start
	h := &globalHeap{objects: map[uint32][]byte{}}
	for len(cr.b)-cr.pos >= 8+f.lenSize {
		idx := cr.u16()
		cr.u16() // reference count
		cr.skip(4)
		osz := cr.length()
		if cr.err != nil {
			return nil, cr.err
		}
		if idx == 0 {
			break // free space
		}
		if osz > uint64(len(cr.b)-cr.pos) {
			return nil, fmt.Errorf("hdf5: %s: object %d of %d bytes exceeds the collection", ctx, idx, osz)
		}
		h.objects[uint32(idx)] = cr.b[cr.pos : cr.pos+int(osz) : cr.pos+int(osz)]
		cr.skip(int((osz + 7) &^ 7))
		if cr.err != nil {
			cr.err = nil
			break
		}
	}
	return h, nil
}
