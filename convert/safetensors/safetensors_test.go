package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const repoRoot = "../.."

// Upstream samples (huggingface/safetensors PR #84, generate.py): every
// tensor is range(-3, 3) cast to the dtype named by the file; unsigned
// dtypes wrap (numpy astype), e.g. U8 -3 = 253.
var sampleFiles = map[string]struct {
	name, dtype string
	want        []float64
}{
	"B": {"B", "U8", []float64{253, 254, 255, 0, 1, 2}},
	"H": {"H", "U16", []float64{65533, 65534, 65535, 0, 1, 2}},
	"I": {"I", "U32", []float64{4294967293, 4294967294, 4294967295, 0, 1, 2}},
	"b": {"b", "I8", []float64{-3, -2, -1, 0, 1, 2}},
	"d": {"d", "F64", []float64{-3, -2, -1, 0, 1, 2}},
	"e": {"e", "F16", []float64{-3, -2, -1, 0, 1, 2}},
	"f": {"f", "F32", []float64{-3, -2, -1, 0, 1, 2}},
	"h": {"h", "I16", []float64{-3, -2, -1, 0, 1, 2}},
	"i": {"i", "I32", []float64{-3, -2, -1, 0, 1, 2}},
}

func TestUpstreamSamples(t *testing.T) {
	dir := filepath.Join(repoRoot, "testdata/checkpoints/safetensors")
	for file, want := range sampleFiles {
		f, err := ReadFile(filepath.Join(dir, file+".safetensors"))
		require.NoError(t, err, file)
		require.Len(t, f.Tensors, 1, file)
		tn, ok := f.Get(want.name)
		require.True(t, ok, file)
		assert.Equal(t, want.dtype, tn.DType, file)
		assert.Equal(t, []int{6}, tn.Shape, file)
		got, err := tn.Float64()
		require.NoError(t, err, file)
		assert.Equal(t, want.want, got, file)
		g32, err := tn.Float32()
		require.NoError(t, err)
		for i := range g32 {
			assert.Equal(t, float32(want.want[i]), g32[i], file)
		}
		if want.dtype[0] != 'F' {
			ints, err := tn.Int64()
			require.NoError(t, err, file)
			for i, v := range ints {
				assert.Equal(t, int64(want.want[i]), v, file)
			}
		} else {
			_, err := tn.Int64()
			assert.Error(t, err, "float dtype must not convert to int64 silently")
		}
	}
	f, err := ReadFile(filepath.Join(dir, "overall.safetensors"))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"test": "a"}, f.Metadata)
	require.Len(t, f.Tensors, len(sampleFiles))
	// data-offset order as in the file: B H I b d e f h i
	var names []string
	for _, tn := range f.Tensors {
		names = append(names, tn.Name)
		want := sampleFiles[tn.Name]
		assert.Equal(t, want.dtype, tn.DType)
		got, err := tn.Float64()
		require.NoError(t, err)
		assert.Equal(t, want.want, got, tn.Name)
	}
	assert.Equal(t, []string{"B", "H", "I", "b", "d", "e", "f", "h", "i"}, names)
}

type manifestIO struct {
	IO struct {
		Batch   int `json:"batch"`
		Tensors map[string]struct {
			DType string `json:"dtype"`
			Shape []int  `json:"shape"`
		} `json:"tensors"`
	} `json:"io"`
	Hyper map[string]any `json:"hyperparameters"`
}

var stDType = map[string]string{"float32": "F32", "float64": "F64", "int64": "I64"}

func TestReferenceIO(t *testing.T) {
	digits, err := ReadFile(filepath.Join(repoRoot, "testdata/reference/test_digits.safetensors"))
	require.NoError(t, err)
	x64, ok := digits.Get("x64")
	require.True(t, ok)
	assert.Equal(t, "F32", x64.DType)
	assert.Equal(t, []int{360, 64, 1}, x64.Shape)
	x1024, ok := digits.Get("x1024")
	require.True(t, ok)
	assert.Equal(t, []int{360, 1024, 1}, x1024.Shape)
	labels, ok := digits.Get("labels")
	require.True(t, ok)
	assert.Equal(t, "I64", labels.DType)
	assert.Equal(t, []int{360}, labels.Shape)
	lab, err := labels.Int64()
	require.NoError(t, err)
	for _, l := range lab {
		require.True(t, l >= 0 && l < 10)
	}
	xv, err := x64.Float32()
	require.NoError(t, err)
	for _, v := range xv {
		require.True(t, v >= 0 && v <= 1, "pixels/16 lie in [0,1]")
	}

	cases := []string{"s4d_example", "binary_s4d", "s4block_diag", "spikingssm_sdn", "spikingssm_sdn_long"}
	for _, c := range cases {
		t.Run(c, func(t *testing.T) {
			dir := filepath.Join(repoRoot, "testdata/reference", c)
			raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
			require.NoError(t, err)
			var m manifestIO
			require.NoError(t, json.Unmarshal(raw, &m))
			f, err := ReadFile(filepath.Join(dir, "io.safetensors"))
			require.NoError(t, err)
			assert.Equal(t, c, f.Metadata["case"])
			assert.Contains(t, f.Metadata, "layout")
			require.Len(t, f.Tensors, len(m.IO.Tensors))
			for name, want := range m.IO.Tensors {
				tn, ok := f.Get(name)
				require.True(t, ok, name)
				assert.Equal(t, stDType[want.DType], tn.DType, name)
				assert.Equal(t, want.Shape, tn.Shape, name)
			}
			in, _ := f.Get("input")
			L := in.Shape[1]
			src := x64
			if L == 1024 {
				src = x1024
			}
			assert.Equal(t, src.Data[:len(in.Data)], in.Data, "input = first 16 test samples")
			logits, _ := f.Get("logits")
			tl, _ := f.Get("test_logits")
			assert.Equal(t, tl.Data[:len(logits.Data)], logits.Data, "test_logits rows 0..15 equal logits bit for bit")
			l32, err := logits.Float32()
			require.NoError(t, err)
			l64t, _ := f.Get("logits_f64")
			l64, err := l64t.Float64()
			require.NoError(t, err)
			tol := 1e-4
			if c == "spikingssm_sdn_long" {
				tol = 2.5e-2
			}
			for i := range l32 {
				assert.InDelta(t, l64[i], float64(l32[i]), tol, "README float32-vs-float64 table")
			}
			// every tensor is aligned to its element size (README io.safetensors)
			hl := binary.LittleEndian.Uint64(mustRead(t, filepath.Join(dir, "io.safetensors"))[:8])
			assert.Zero(t, hl%8, "header padded to 8")
		})
	}
}

func mustRead(t *testing.T, p string) []byte {
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	return b
}

func f32bytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	i64 := make([]byte, 16)
	binary.LittleEndian.PutUint64(i64, uint64(1<<40))
	binary.LittleEndian.PutUint64(i64[8:], uint64(0xffffffffffffffff)) // -1
	tensors := []*Tensor{
		{Name: "a.i64", DType: "I64", Shape: []int{2}, Data: i64},
		{Name: "w", DType: "F32", Shape: []int{2, 3}, Data: f32bytes([]float32{1, -2, 3.5, 0, 1e-30, float32(math.Inf(-1))})},
		{Name: "scalar", DType: "F32", Shape: []int{}, Data: f32bytes([]float32{7})},
		{Name: "empty", DType: "F32", Shape: []int{0, 3}, Data: []byte{}},
		{Name: "h", DType: "F16", Shape: []int{3}, Data: []byte{0x00, 0x3c, 0x01, 0x00, 0x00, 0xfc}},
		{Name: "bf", DType: "BF16", Shape: []int{1}, Data: []byte{0xc0, 0x3f}},
		{Name: "bool", DType: "BOOL", Shape: []int{3}, Data: []byte{1, 0, 1}},
	}
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, tensors, map[string]string{"k": "v"}))
	f, err := Parse(buf.Bytes())
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"k": "v"}, f.Metadata)
	require.Len(t, f.Tensors, len(tensors))
	for _, want := range tensors {
		got, ok := f.Get(want.Name)
		require.True(t, ok)
		assert.Equal(t, want.DType, got.DType)
		assert.Equal(t, len(want.Shape), len(got.Shape), want.Name)
		assert.Equal(t, want.Data, got.Data, want.Name)
	}
	ai, _ := f.Get("a.i64")
	iv, err := ai.Int64()
	require.NoError(t, err)
	assert.Equal(t, []int64{1 << 40, -1}, iv)
	h, _ := f.Get("h")
	hv, err := h.Float32()
	require.NoError(t, err)
	assert.Equal(t, []float32{1, float32(math.Ldexp(1, -24)), float32(math.Inf(-1))}, hv)
	bf, _ := f.Get("bf")
	bv, _ := bf.Float32()
	assert.Equal(t, []float32{1.5}, bv)
	// data starts aligned
	assert.Zero(t, binary.LittleEndian.Uint64(buf.Bytes()[:8])%8)

	// writer rejects inconsistent tensors
	assert.Error(t, Write(&bytes.Buffer{}, []*Tensor{{Name: "x", DType: "F32", Shape: []int{2}, Data: []byte{1}}}, nil))
	assert.Error(t, Write(&bytes.Buffer{}, []*Tensor{{Name: "x", DType: "C64", Shape: []int{1}, Data: make([]byte, 8)}}, nil))
	assert.Error(t, Write(&bytes.Buffer{}, []*Tensor{tensors[1], tensors[1]}, nil))
}

func TestFloat8(t *testing.T) {
	tn := &Tensor{Name: "x", DType: "F8_E4M3", Shape: []int{4}, Data: []byte{0x38, 0xc0, 0x7e, 0x01}}
	v, err := tn.Float64()
	require.NoError(t, err)
	assert.Equal(t, []float64{1, -2, 448, math.Ldexp(1, -9)}, v)
	tn = &Tensor{Name: "y", DType: "F8_E5M2", Shape: []int{2}, Data: []byte{0x3c, 0xc0}}
	v, err = tn.Float64()
	require.NoError(t, err)
	assert.Equal(t, []float64{1, -2}, v)
}

func header(t *testing.T, h string, data []byte) []byte {
	b := make([]byte, 8, 8+len(h)+len(data))
	binary.LittleEndian.PutUint64(b, uint64(len(h)))
	b = append(b, h...)
	return append(b, data...)
}

func TestHostile(t *testing.T) {
	cases := map[string][]byte{
		"short":        {1, 2, 3},
		"huge header":  {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, '{', '}'},
		"header>file":  {100, 0, 0, 0, 0, 0, 0, 0, '{', '}'},
		"not json":     header(t, "[1,2]   ", nil),
		"bad json":     header(t, `{"a":`, nil),
		"trailing":     header(t, `{}x`, nil),
		"unknown type": header(t, `{"a":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}`, make([]byte, 8)),
		"out of range": header(t, `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, make([]byte, 4)),
		"size":         header(t, `{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, make([]byte, 8)),
		"neg dim":      header(t, `{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}`, make([]byte, 8)),
		"overflow dim": header(t, `{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,0]}}`, nil),
		"reversed":     header(t, `{"a":{"dtype":"U8","shape":[1],"data_offsets":[2,1]}}`, make([]byte, 4)),
		"offsets len":  header(t, `{"a":{"dtype":"U8","shape":[1],"data_offsets":[0]}}`, make([]byte, 4)),
		"overlap":      header(t, `{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}`, make([]byte, 4)),
		"bad metadata": header(t, `{"__metadata__":{"a":1}}`, nil),
	}
	for name, data := range cases {
		_, err := Parse(data)
		assert.Error(t, err, name)
	}
}

func TestTruncationEveryByte(t *testing.T) {
	for _, p := range []string{"testdata/checkpoints/safetensors/overall.safetensors", "testdata/checkpoints/safetensors/e.safetensors"} {
		data := mustRead(t, filepath.Join(repoRoot, p))
		for n := 0; n < len(data); n++ {
			_, err := Parse(data[:n])
			require.Error(t, err, "%s truncated to %d bytes", p, n)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, p := range []string{"overall", "e", "B"} {
		data, err := os.ReadFile(filepath.Join(repoRoot, "testdata/checkpoints/safetensors", p+".safetensors"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(header(nil, `{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}`, make([]byte, 4)))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse(data)
		if err != nil {
			return
		}
		for _, tn := range file.Tensors {
			es, _ := ElementSize(tn.DType)
			if tn.NumElements()*es != len(tn.Data) {
				t.Fatalf("tensor %q: size mismatch accepted", tn.Name)
			}
			if _, err := tn.Float64(); err != nil {
				t.Fatal(err)
			}
		}
		var buf bytes.Buffer
		if err := Write(&buf, file.Tensors, file.Metadata); err != nil {
			t.Fatal(err)
		}
		again, err := Parse(buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if len(again.Tensors) != len(file.Tensors) {
			t.Fatal("round trip lost tensors")
		}
	})
}
