package tensorio

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"github.com/spikessm/spikessm/internal/half"
	"math"
	"strconv"
	"strings"
)

// Tensor is a dense float32 array in row-major (C) order.
type Tensor struct {
	Shape []int
	Data  []float32
}

var npyMagic = []byte("\x93NUMPY")

// ParseNPY decodes a NumPy .npy file (format versions 1.0, 2.0 and 3.0) holding a little-endian
// or single-byte numeric array (f2, f4, f8, i1, i2, i4, i8, u1, u2, u4, u8, b1) in C or Fortran
// order, converting it to float32. name is used in error messages.
func ParseNPY(data []byte, name string) (*Tensor, error) {
	if len(data) < 10 || !bytes.Equal(data[:6], npyMagic) {
		return nil, fmt.Errorf("%s: not a .npy file (bad magic)", name)
	}
	major := data[6]
	var hlen, off int
	switch major {
	case 1:
		hlen, off = int(binary.LittleEndian.Uint16(data[8:10])), 10
	case 2, 3:
		if len(data) < 12 {
			return nil, fmt.Errorf("%s: truncated .npy header", name)
		}
		h := binary.LittleEndian.Uint32(data[8:12])
		if uint64(h) > uint64(len(data)) {
			return nil, fmt.Errorf("%s: .npy header length %d exceeds file size %d", name, h, len(data))
		}
		hlen, off = int(h), 12
	default:
		return nil, fmt.Errorf("%s: unsupported .npy format version %d.%d", name, major, data[7])
	}
	if off+hlen > len(data) {
		return nil, fmt.Errorf("%s: .npy header length %d exceeds file size %d", name, hlen, len(data))
	}
	hdr, err := parseNPYHeader(string(data[off : off+hlen]))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	size, conv, err := npyDType(hdr.descr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	body := data[off+hlen:]
	n := 1
	for _, d := range hdr.shape {
		if d < 0 || (d > 0 && n > len(body)/d) {
			return nil, fmt.Errorf("%s: shape %v does not fit in %d data bytes", name, hdr.shape, len(body))
		}
		n *= d
	}
	if n*size != len(body) {
		return nil, fmt.Errorf("%s: shape %v of %s needs %d data bytes, file has %d", name, hdr.shape, hdr.descr, n*size, len(body))
	}
	out := make([]float32, n)
	for i := range out {
		out[i] = conv(body[i*size : (i+1)*size])
	}
	t := &Tensor{Shape: hdr.shape, Data: out}
	if hdr.fortran && len(hdr.shape) > 1 {
		t = fromFortran(t)
	}
	return t, nil
}

type npyHeader struct {
	descr   string
	fortran bool
	shape   []int
}

// parseNPYHeader reads the Python dict literal of a .npy header, e.g.
// {'descr': '<f4', 'fortran_order': False, 'shape': (16, 64, 1), }.
func parseNPYHeader(s string) (npyHeader, error) {
	var h npyHeader
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "{") || !strings.HasSuffix(s, "}") {
		return h, fmt.Errorf(".npy header is not a dict: %.60q", s)
	}
	get := func(key string) (string, error) {
		k := "'" + key + "'"
		i := strings.Index(s, k)
		if i < 0 {
			return "", fmt.Errorf(".npy header lacks %s", k)
		}
		rest := strings.TrimSpace(s[i+len(k):])
		if !strings.HasPrefix(rest, ":") {
			return "", fmt.Errorf(".npy header: no ':' after %s", k)
		}
		return strings.TrimSpace(rest[1:]), nil
	}
	v, err := get("descr")
	if err != nil {
		return h, err
	}
	if len(v) < 2 || (v[0] != '\'' && v[0] != '"') {
		return h, fmt.Errorf(".npy header: descr is not a string")
	}
	end := strings.IndexByte(v[1:], v[0])
	if end < 0 {
		return h, fmt.Errorf(".npy header: unterminated descr")
	}
	h.descr = v[1 : 1+end]
	v, err = get("fortran_order")
	if err != nil {
		return h, err
	}
	switch {
	case strings.HasPrefix(v, "True"):
		h.fortran = true
	case strings.HasPrefix(v, "False"):
	default:
		return h, fmt.Errorf(".npy header: fortran_order is neither True nor False")
	}
	v, err = get("shape")
	if err != nil {
		return h, err
	}
	if !strings.HasPrefix(v, "(") {
		return h, fmt.Errorf(".npy header: shape is not a tuple")
	}
	close := strings.IndexByte(v, ')')
	if close < 0 {
		return h, fmt.Errorf(".npy header: unterminated shape")
	}
	h.shape = []int{}
	for _, f := range strings.Split(v[1:close], ",") {
		f = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(f), "L"))
		if f == "" {
			continue
		}
		d, err := strconv.Atoi(f)
		if err != nil || d < 0 {
			return h, fmt.Errorf(".npy header: bad dimension %q", f)
		}
		h.shape = append(h.shape, d)
	}
	if len(h.shape) > 8 {
		return h, fmt.Errorf(".npy header: rank %d is too high", len(h.shape))
	}
	return h, nil
}

func npyDType(descr string) (int, func([]byte) float32, error) {
	if len(descr) < 3 {
		return 0, nil, fmt.Errorf("unsupported .npy dtype %q", descr)
	}
	order, kind, sz := descr[0], descr[1], descr[2:]
	if order == '>' {
		return 0, nil, fmt.Errorf("big-endian .npy dtype %q is not supported; save with dtype '<%s'", descr, descr[1:])
	}
	le := binary.LittleEndian
	switch kind {
	case 'f':
		switch sz {
		case "2":
			return 2, func(b []byte) float32 { return half.ToFloat32(le.Uint16(b)) }, nil
		case "4":
			return 4, func(b []byte) float32 { return math.Float32frombits(le.Uint32(b)) }, nil
		case "8":
			return 8, func(b []byte) float32 { return float32(math.Float64frombits(le.Uint64(b))) }, nil
		}
	case 'i':
		switch sz {
		case "1":
			return 1, func(b []byte) float32 { return float32(int8(b[0])) }, nil
		case "2":
			return 2, func(b []byte) float32 { return float32(int16(le.Uint16(b))) }, nil
		case "4":
			return 4, func(b []byte) float32 { return float32(int32(le.Uint32(b))) }, nil
		case "8":
			return 8, func(b []byte) float32 { return float32(int64(le.Uint64(b))) }, nil
		}
	case 'u':
		switch sz {
		case "1":
			return 1, func(b []byte) float32 { return float32(b[0]) }, nil
		case "2":
			return 2, func(b []byte) float32 { return float32(le.Uint16(b)) }, nil
		case "4":
			return 4, func(b []byte) float32 { return float32(le.Uint32(b)) }, nil
		case "8":
			return 8, func(b []byte) float32 { return float32(le.Uint64(b)) }, nil
		}
	case 'b':
		if sz == "1" {
			return 1, func(b []byte) float32 {
				if b[0] != 0 {
					return 1
				}
				return 0
			}, nil
		}
	}
	return 0, nil, fmt.Errorf("unsupported .npy dtype %q", descr)
}

// fromFortran reorders a column-major array into row-major order.
func fromFortran(t *Tensor) *Tensor {
	rank := len(t.Shape)
	out := make([]float32, len(t.Data))
	idx := make([]int, rank)
	// Fortran strides: stride[0] = 1, stride[i] = stride[i-1]*shape[i-1].
	stride := make([]int, rank)
	s := 1
	for i := 0; i < rank; i++ {
		stride[i] = s
		s *= t.Shape[i]
	}
	for i := range out {
		src := 0
		for d := 0; d < rank; d++ {
			src += idx[d] * stride[d]
		}
		out[i] = t.Data[src]
		for d := rank - 1; d >= 0; d-- {
			idx[d]++
			if idx[d] < t.Shape[d] {
				break
			}
			idx[d] = 0
		}
	}
	return &Tensor{Shape: t.Shape, Data: out}
}
