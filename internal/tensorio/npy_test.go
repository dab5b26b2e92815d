package tensorio

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func arange(n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(i)
	}
	return out
}

func TestParseNPYEveryDType(t *testing.T) {
	for _, dt := range []string{"f2", "f4", "f8", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f4_fortran", "f4_v2"} {
		t.Run(dt, func(t *testing.T) {
			path := filepath.Join("testdata", "arange_"+dt+".npy")
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			x, err := ParseNPY(data, path)
			require.NoError(t, err)
			require.Equal(t, []int{2, 3, 4}, x.Shape)
			require.Equal(t, arange(24), x.Data)
		})
	}
}

func TestParseNPYBoolAndScalar(t *testing.T) {
	data, err := os.ReadFile("testdata/bool.npy")
	require.NoError(t, err)
	x, err := ParseNPY(data, "bool.npy")
	require.NoError(t, err)
	require.Equal(t, []float32{1, 0, 1}, x.Data)

	data, err = os.ReadFile("testdata/scalar_f4.npy")
	require.NoError(t, err)
	x, err = ParseNPY(data, "scalar_f4.npy")
	require.NoError(t, err)
	require.Empty(t, x.Shape)
	require.Equal(t, []float32{7.5}, x.Data)
}

func TestParseNPYRejects(t *testing.T) {
	data, err := os.ReadFile("testdata/big_endian.npy")
	require.NoError(t, err)
	_, err = ParseNPY(data, "big_endian.npy")
	require.ErrorContains(t, err, "big-endian")

	good, err := os.ReadFile("testdata/arange_f4.npy")
	require.NoError(t, err)
	for n := 0; n < len(good); n++ {
		_, err := ParseNPY(good[:n], "trunc.npy")
		require.Error(t, err, "truncated to %d bytes", n)
		require.Contains(t, err.Error(), "trunc.npy")
	}
	bad := strings.Replace(string(good), "(2, 3, 4)", "(9, 9, 9)", 1)
	_, err = ParseNPY([]byte(bad), "shape.npy")
	require.ErrorContains(t, err, "[9 9 9]")
}

func FuzzParseNPY(f *testing.F) {
	for _, name := range []string{"arange_f4.npy", "arange_f4_fortran.npy", "arange_f4_v2.npy", "bool.npy", "scalar_f4.npy"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		x, err := ParseNPY(data, "fuzz.npy")
		if err != nil {
			return
		}
		n := 1
		for _, d := range x.Shape {
			n *= d
		}
		if n != len(x.Data) {
			t.Fatalf("shape %v holds %d elements, data has %d", x.Shape, n, len(x.Data))
		}
	})
}

func TestParseCSV(t *testing.T) {
	x, err := ParseCSV([]byte("a,b,c,d\n1,2,3,4\n# comment\n\n5,6,7,8\n"), "in.csv", 2)
	require.NoError(t, err)
	require.Equal(t, []int{2, 2, 2}, x.Shape)
	require.Equal(t, []float32{1, 2, 3, 4, 5, 6, 7, 8}, x.Data)

	_, err = ParseCSV([]byte("1,2,3\n4,5\n"), "ragged.csv", 1)
	require.ErrorContains(t, err, "ragged.csv:2")
	_, err = ParseCSV([]byte("1,2,3\n"), "odd.csv", 2)
	require.ErrorContains(t, err, "multiple of 2")
	_, err = ParseCSV([]byte("1,2\nx,3\n"), "bad.csv", 1)
	require.ErrorContains(t, err, "bad.csv:2")
	_, err = ParseCSV([]byte("# nothing\n"), "empty.csv", 1)
	require.ErrorContains(t, err, "no sequences")
}

func FuzzParseCSV(f *testing.F) {
	f.Add([]byte("a,b\n1,2\n3,4\n"), 1)
	f.Add([]byte("1e3,-2.5,NaN,Inf\n"), 2)
	f.Fuzz(func(t *testing.T, data []byte, features int) {
		if features > 1<<20 {
			return
		}
		x, err := ParseCSV(data, "fuzz.csv", features)
		if err != nil {
			return
		}
		if x.Shape[0]*x.Shape[1]*x.Shape[2] != len(x.Data) {
			t.Fatalf("shape %v does not match %d values", x.Shape, len(x.Data))
		}
	})
}

func TestReadFileDetectsKind(t *testing.T) {
	in, err := ReadFile("testdata/arange_f4.npy", 4, "")
	require.NoError(t, err)
	require.Equal(t, []int{2, 3, 4}, in.X.Shape)

	// The reference fixtures' io.safetensors: "input" is x64[0:16] of the test split.
	in, err = ReadFile("../../testdata/reference/s4d_example/io.safetensors", 1, "")
	require.NoError(t, err)
	require.Equal(t, []int{16, 64, 1}, in.X.Shape)
	require.Nil(t, in.Labels)

	in, err = ReadFile("../../testdata/reference/test_digits.safetensors", 1, "")
	require.NoError(t, err)
	require.Len(t, in.Labels, 360)
	require.Len(t, in.X.Shape, 3)
	require.Equal(t, 360, in.X.Shape[0])
	require.Equal(t, []int64{2, 3, 4}, in.Labels[:3]) // sklearn load_digits().target[1437:1440]

	in, err = ReadFile("../../testdata/reference/test_digits.safetensors", 1, "x64")
	require.NoError(t, err)
	require.Equal(t, []int{360, 64, 1}, in.X.Shape)
	_, err = ReadFile("../../testdata/reference/test_digits.safetensors", 1, "x32")
	require.ErrorContains(t, err, `no tensor named "x32"`)
	_, err = ReadFile("testdata/arange_f4.npy", 4, "x64")
	require.ErrorContains(t, err, "only to safetensors")

	dir := t.TempDir()
	p := filepath.Join(dir, "x.csv")
	require.NoError(t, os.WriteFile(p, []byte("0.5,0.25\n"), 0o644))
	in, err = ReadFile(p, 1, "")
	require.NoError(t, err)
	require.Equal(t, []int{1, 2, 1}, in.X.Shape)
}
