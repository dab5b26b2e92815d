package hdf5

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// golden is what h5py reads from a file (testdata/gen.py).
type golden struct {
	Superblock int `json:"superblock"`
	Datasets   map[string]struct {
		DType       string           `json:"dtype"`
		Kind        string           `json:"kind"`
		Shape       []int            `json:"shape"`
		Layout      string           `json:"layout"`
		Chunks      []int            `json:"chunks"`
		Compression *string          `json:"compression"`
		Values      []any            `json:"values"`
		SHA256      *string          `json:"sha256"`
		Attrs       map[string][]any `json:"attrs"`
	} `json:"datasets"`
	Groups map[string]struct {
		Attrs map[string][]any `json:"attrs"`
	} `json:"groups"`
}

func goldenFiles(t *testing.T) map[string]string {
	files := map[string]string{}
	js, err := filepath.Glob("testdata/*.json")
	require.NoError(t, err)
	for _, j := range js {
		base := strings.TrimSuffix(filepath.Base(j), ".json")
		switch {
		case strings.HasSuffix(base, ".h5"):
			files[j] = filepath.Join("testdata", base)
		case base == "lif_norse_gzip.nir":
			files[j] = filepath.Join("../nir/testdata", base)
		default:
			files[j] = filepath.Join("../../testdata/checkpoints/nir", base)
		}
	}
	require.GreaterOrEqual(t, len(files), 11)
	return files
}

func compareAttrs(t *testing.T, where string, got []*Attribute, want map[string][]any) {
	t.Helper()
	require.Len(t, got, len(want), where)
	for _, a := range got {
		w, ok := want[a.Name]
		require.True(t, ok, "%s: unexpected attribute %q", where, a.Name)
		switch w[0].(type) {
		case string:
			s, err := a.Strings()
			require.NoError(t, err, where)
			for i := range w {
				assert.Equal(t, w[i], s[i], "%s@%s", where, a.Name)
			}
		default:
			v, err := a.Float64()
			require.NoError(t, err, where)
			require.Len(t, v, len(w))
			for i := range w {
				assert.Equal(t, w[i].(float64), v[i], "%s@%s", where, a.Name)
			}
		}
	}
}

func TestAgainstH5py(t *testing.T) {
	for gj, path := range goldenFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			raw, err := os.ReadFile(gj)
			require.NoError(t, err)
			var g golden
			require.NoError(t, json.Unmarshal(raw, &g))
			f, err := Open(path)
			require.NoError(t, err)
			assert.Equal(t, g.Superblock, f.SuperblockVersion())
			var datasets, groups []string
			require.NoError(t, f.Root().Walk(func(p string, k Kind) error {
				if k == KindDataset {
					datasets = append(datasets, p)
				} else {
					groups = append(groups, p)
				}
				return nil
			}))
			var want []string
			for p := range g.Datasets {
				want = append(want, p)
			}
			sort.Strings(want)
			sort.Strings(datasets)
			require.Equal(t, want, datasets)
			ra, err := f.Root().Attrs()
			require.NoError(t, err)
			compareAttrs(t, "/", ra, g.Groups["/"].Attrs)
			assert.Len(t, groups, len(g.Groups)-1, "every group h5py lists (but the root) is walked")
			for _, gp := range groups {
				wg, ok := g.Groups[gp]
				require.True(t, ok, gp)
				grp, err := f.Root().Group(gp)
				require.NoError(t, err)
				ga, err := grp.Attrs()
				require.NoError(t, err)
				compareAttrs(t, gp, ga, wg.Attrs)
			}
			for p, w := range g.Datasets {
				d, err := f.Root().Dataset(p)
				require.NoError(t, err, p)
				assert.Equal(t, w.Shape, append([]int{}, d.Shape...), p)
				assert.Equal(t, w.Layout, d.Layout.String(), p)
				if w.Chunks != nil {
					assert.Equal(t, w.Chunks, d.Chunk, p)
				}
				if w.Compression != nil {
					assert.Contains(t, d.Filters, 1, p)
				} else {
					assert.NotContains(t, d.Filters, 1, p)
				}
				n := 1
				for _, x := range w.Shape {
					n *= x
				}
				switch w.Kind {
				case "string":
					s, err := d.Strings()
					require.NoError(t, err, p)
					require.Len(t, s, n)
					for i := range w.Values {
						assert.Equal(t, w.Values[i], s[i], p)
					}
				case "float":
					v, err := d.Float64()
					require.NoError(t, err, p)
					require.Len(t, v, n, p)
					for i := range w.Values {
						assert.Equal(t, w.Values[i].(float64), v[i], "%s[%d]", p, i)
					}
					if w.SHA256 != nil {
						h := sha256.New()
						var b [8]byte
						for _, x := range v {
							binary.LittleEndian.PutUint64(b[:], math.Float64bits(x))
							h.Write(b[:])
						}
						assert.Equal(t, *w.SHA256, hex.EncodeToString(h.Sum(nil)), p)
					}
					if strings.HasPrefix(w.DType, "float32") {
						v32, err := d.Float32()
						require.NoError(t, err)
						for i := range v32 {
							require.Equal(t, float32(v[i]), v32[i])
						}
					}
				case "int":
					v, err := d.Int64()
					require.NoError(t, err, p)
					require.Len(t, v, n, p)
					for i := range w.Values {
						assert.Equal(t, int64(w.Values[i].(float64)), v[i], "%s[%d]", p, i)
					}
					if w.SHA256 != nil {
						h := sha256.New()
						var b [8]byte
						for _, x := range v {
							binary.LittleEndian.PutUint64(b[:], uint64(x))
							h.Write(b[:])
						}
						assert.Equal(t, *w.SHA256, hex.EncodeToString(h.Sum(nil)), p)
					}
				}
				da, err := d.Attrs()
				require.NoError(t, err)
				compareAttrs(t, p, da, w.Attrs)
			}
		})
	}
}

func TestIsHDF5(t *testing.T) {
	for _, p := range []string{"testdata/tiny_v0.h5", "testdata/tiny_latest.h5", "../../testdata/checkpoints/nir/lif_norse.nir"} {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		assert.True(t, IsHDF5(b), p)
		assert.False(t, IsHDF5(b[1:]), p)
	}
	assert.False(t, IsHDF5(nil))
	assert.False(t, IsHDF5([]byte("PK\x03\x04 a zip")))
}

func TestAPIErrors(t *testing.T) {
	f, err := Open("testdata/compact_nested.h5")
	require.NoError(t, err)
	_, err = f.Root().Group("a/nope")
	assert.ErrorContains(t, err, "no member \"nope\"")
	_, err = f.Root().Group("scalar_i64")
	assert.ErrorContains(t, err, "is a dataset")
	d, err := f.Root().Dataset("a/vlen_strings")
	require.NoError(t, err)
	_, err = d.Float64()
	assert.ErrorContains(t, err, "not numeric")
	d, err = f.Root().Dataset("a/b/f16")
	require.NoError(t, err)
	_, err = d.Int64()
	assert.ErrorContains(t, err, "not an integer")
	_, err = d.Strings()
	assert.Error(t, err)
	ms, err := f.Root().Members()
	require.NoError(t, err)
	assert.Equal(t, []Member{{"a", KindGroup}, {"many", KindGroup}, {"scalar_i64", KindDataset}}, ms)
	many, err := f.Root().Group("many")
	require.NoError(t, err)
	names, err := many.Names()
	require.NoError(t, err)
	assert.Len(t, names, 20)
	assert.True(t, f.Root().Has("a"))
	assert.False(t, f.Root().Has("b"))
	_, err = OpenBytes([]byte("not hdf5 at all"))
	assert.ErrorContains(t, err, "not an HDF5 file")
	_, err = Open("testdata/does-not-exist.h5")
	assert.Error(t, err)
}

func allTestFiles(t testing.TB) [][]byte {
	var out [][]byte
	for _, p := range []string{"testdata/gzip_chunked.h5", "testdata/latest.h5", "testdata/compact_nested.h5", "testdata/dense_latest.h5", "../../testdata/checkpoints/nir/lif_norse.nir"} {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		out = append(out, b)
	}
	return out
}

// readAll touches every object and value of a file; on hostile input it
// must return an error, never panic.
func readAll(data []byte) error {
	f, err := OpenBytes(data)
	if err != nil {
		return err
	}
	return f.Root().Walk(func(p string, k Kind) error {
		if k == KindGroup {
			g, err := f.Root().Group(p)
			if err != nil {
				return err
			}
			_, err = g.Attrs()
			return err
		}
		d, err := f.Root().Dataset(p)
		if err != nil {
			return err
		}
		if d.Type.Class == ClassString || d.Type.Class == ClassVarStr {
			_, err = d.Strings()
		} else {
			_, err = d.Float64()
		}
		if err != nil {
			return err
		}
		as, err := d.Attrs()
		for _, a := range as {
			a.Strings()
			a.Float64()
		}
		return err
	})
}

func TestTruncationAndCorruption(t *testing.T) {
	for fi, data := range allTestFiles(t) {
		require.NoError(t, readAll(data))
		step := max(1, len(data)/1500)
		if testing.Short() {
			step = max(1, len(data)/300)
		}
		// Truncation: every prefix must fail (the last object lives at the end)
		// or succeed, but never panic.
		fails := 0
		for n := 0; n < len(data); n += step {
			if readAll(data[:n]) != nil {
				fails++
			}
		}
		assert.Positive(t, fails, "file %d", fi)
		// Corruption: flip bytes throughout the metadata.
		for i := 0; i < len(data); i += 3 * step {
			c := append([]byte(nil), data...)
			c[i] ^= 0xff
			_ = readAll(c)
		}
	}
}

// patched applies a fuzzer-chosen patch to one of the base files: patch is
// a list of (offset high byte, offset low byte, xor value) triples with the
// offset scaled over the file, and cut (when non-zero) truncates. Fuzzing a
// small patch rather than a whole file keeps Go's fuzzer fast (it minimizes
// every new input, which takes minutes for files of several KB) while every
// execution still parses a real, corrupted HDF5 file.
func patched(bases [][]byte, which uint8, cut uint16, patch []byte) []byte {
	base := bases[int(which)%len(bases)]
	data := append([]byte(nil), base...)
	for i := 0; i+2 < len(patch); i += 3 {
		off := (int(patch[i])<<8 | int(patch[i+1])) * len(data) / 65536
		data[off] ^= patch[i+2]
	}
	if cut > 0 {
		data = data[:int(cut)*len(data)/65536]
	}
	return data
}

func FuzzOpen(f *testing.F) {
	bases := allTestFiles(f)
	for _, p := range []string{"testdata/tiny_latest.h5", "testdata/tiny_v0.h5"} {
		b, err := os.ReadFile(p)
		require.NoError(f, err)
		bases = append(bases, b)
	}
	for i := range bases {
		f.Add(uint8(i), uint16(0), []byte{})
	}
	f.Add(uint8(0), uint16(40000), []byte{0, 9, 0xff})
	f.Fuzz(func(t *testing.T, which uint8, cut uint16, patch []byte) {
		_ = readAll(patched(bases, which, cut, patch))
	})
}

func TestUnsupportedFeatures(t *testing.T) {
	f, err := Open("testdata/unsupported.hdf")
	require.NoError(t, err)
	for name, want := range map[string]string{
		"compound":   "datatype compound is not supported",
		"enum_bool":  "datatype enum is not supported",
		"big_endian": "big-endian or VAX floats are not supported",
		"lzf":        "lzf filter is not supported",
		"soft":       "soft and external links are not supported",
	} {
		_, err := f.Root().Dataset(name)
		assert.ErrorContains(t, err, want, name)
		assert.ErrorContains(t, err, "/"+name, "the error names the object")
	}
	d, err := f.Root().Dataset("ok")
	require.NoError(t, err)
	v, err := d.Float32()
	require.NoError(t, err)
	assert.Equal(t, []float32{0, 1, 2}, v)
	_, err = f.Root().Members()
	assert.ErrorContains(t, err, "soft and external links")
}
