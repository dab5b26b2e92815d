package torchfile

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Tensor is one tensor read from a PyTorch file, materialised as a
// C-contiguous (row-major) Go slice.
type Tensor struct {
	// Name is the state-dict key when the tensor came from StateDict, else "".
	Name string
	// DType is one of "float32", "float64", "float16", "bfloat16", "int64",
	// "int32", "int16", "int8", "uint8", "bool", "complex64", "complex128".
	DType string
	// Shape is the tensor's size; empty for a 0-d tensor.
	Shape []int
	// Data holds the elements: []float32 (float32, float16, bfloat16 widened),
	// []float64, []int64, []int32, []int16, []int8, []uint8, []bool,
	// []complex64 or []complex128.
	Data any
}

// NumElements returns the product of Shape (1 for a 0-d tensor).
func (t *Tensor) NumElements() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Float32 returns the elements converted to float32 (a copy unless the data
// already is []float32). Complex tensors are refused.
func (t *Tensor) Float32() ([]float32, error) {
	switch d := t.Data.(type) {
	case []float32:
		return d, nil
	case []float64:
		out := make([]float32, len(d))
		for i, v := range d {
			out[i] = float32(v)
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

// Float64 returns the elements converted to float64 (always a copy, except
// for []float64 data). Complex tensors are refused.
func (t *Tensor) Float64() ([]float64, error) {
	var out []float64
	switch d := t.Data.(type) {
	case []float64:
		return d, nil
	case []float32:
		out = make([]float64, len(d))
		for i, v := range d {
			out[i] = float64(v)
		}
	case []int64:
		out = make([]float64, len(d))
		for i, v := range d {
			out[i] = float64(v)
		}
	case []int32:
		out = make([]float64, len(d))
		for i, v := range d {
			out[i] = float64(v)
		}
	case []int16:
		out = make([]float64, len(d))
		for i, v := range d {
			out[i] = float64(v)
		}
	case []int8:
		out = make([]float64, len(d))
		for i, v := range d {
			out[i] = float64(v)
		}
	case []uint8:
		out = make([]float64, len(d))
		for i, v := range d {
			out[i] = float64(v)
		}
	case []bool:
		out = make([]float64, len(d))
		for i, v := range d {
			if v {
				out[i] = 1
			}
		}
	default:
		return nil, fmt.Errorf("tensor %q: dtype %s is not real", t.Name, t.DType)
	}
	return out, nil
}

// f16to32 converts IEEE half precision bits to float32.
func f16to32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0 && mant == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal
		e := uint32(127 - 15 + 1)
		for mant&0x400 == 0 {
			mant <<= 1
			e--
		}
		mant &= 0x3ff
		return math.Float32frombits(sign | e<<23 | mant<<13)
	case exp == 0x1f:
		return math.Float32frombits(sign | 0xff<<23 | mant<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}

// gather copies the elements of a strided view of raw (element size esize)
// into a contiguous slice of the storage's Go type.
func gather(dtype string, raw []byte, esize int, numel int, shape, stride []int, offset int) (any, error) {
	storageNumel := len(raw) / esize
	// index of element i of the view
	idx := make([]int, len(shape))
	pos := func() int {
		p := offset
		for k, v := range idx {
			p += v * stride[k]
		}
		return p
	}
	// bounds: the max and min reachable indexes
	lo, hi := offset, offset
	fhi := float64(offset) // overflow-free twin of hi
	for k, s := range shape {
		if s == 0 {
			lo, hi, fhi = 0, -1, -1
			break
		}
		if stride[k] < 0 || (s > 1 && stride[k] > storageNumel) {
			return nil, fmt.Errorf("stride %v does not fit a storage of %d elements", stride, storageNumel)
		}
		fhi += float64(s-1) * float64(stride[k])
		hi += (s - 1) * stride[k]
	}
	if numel > 0 && (lo < 0 || fhi >= float64(storageNumel) || hi >= storageNumel) {
		return nil, fmt.Errorf("view (offset %d, shape %v, stride %v) reaches element %d of a storage of %d", offset, shape, stride, hi, storageNumel)
	}
	next := func() {
		for k := len(idx) - 1; k >= 0; k-- {
			idx[k]++
			if idx[k] < shape[k] {
				return
			}
			idx[k] = 0
		}
	}
	le := binary.LittleEndian
	switch dtype {
	case "float32":
		out := make([]float32, numel)
		for i := range out {
			out[i] = math.Float32frombits(le.Uint32(raw[pos()*4:]))
			next()
		}
		return out, nil
	case "float64":
		out := make([]float64, numel)
		for i := range out {
			out[i] = math.Float64frombits(le.Uint64(raw[pos()*8:]))
			next()
		}
		return out, nil
	case "float16":
		out := make([]float32, numel)
		for i := range out {
			out[i] = f16to32(le.Uint16(raw[pos()*2:]))
			next()
		}
		return out, nil
	case "bfloat16":
		out := make([]float32, numel)
		for i := range out {
			out[i] = math.Float32frombits(uint32(le.Uint16(raw[pos()*2:])) << 16)
			next()
		}
		return out, nil
	case "int64":
		out := make([]int64, numel)
		for i := range out {
			out[i] = int64(le.Uint64(raw[pos()*8:]))
			next()
		}
		return out, nil
	case "int32":
		out := make([]int32, numel)
		for i := range out {
			out[i] = int32(le.Uint32(raw[pos()*4:]))
			next()
		}
		return out, nil
	case "int16":
		out := make([]int16, numel)
		for i := range out {
			out[i] = int16(le.Uint16(raw[pos()*2:]))
			next()
		}
		return out, nil
	case "int8":
		out := make([]int8, numel)
		for i := range out {
			out[i] = int8(raw[pos()])
			next()
		}
		return out, nil
	case "uint8":
		out := make([]uint8, numel)
		for i := range out {
			out[i] = raw[pos()]
			next()
		}
		return out, nil
	case "bool":
		out := make([]bool, numel)
		for i := range out {
			out[i] = raw[pos()] != 0
			next()
		}
		return out, nil
	case "complex64":
		out := make([]complex64, numel)
		for i := range out {
			p := pos() * 8
			out[i] = complex(math.Float32frombits(le.Uint32(raw[p:])), math.Float32frombits(le.Uint32(raw[p+4:])))
			next()
		}
		return out, nil
	case "complex128":
		out := make([]complex128, numel)
		for i := range out {
			p := pos() * 16
			out[i] = complex(math.Float64frombits(le.Uint64(raw[p:])), math.Float64frombits(le.Uint64(raw[p+8:])))
			next()
		}
		return out, nil
	}
	return nil, fmt.Errorf("unsupported dtype %s", dtype)
}
