package format

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"go/format"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exercise touches everything a caller may read from an opened model.
func exercise(m *Model) {
	defer func() {
		if n := decoderPanics.Load(); n != 0 {
			panic(fmt.Sprintf("%d decoder panics were caught: the verifier missed something", n))
		}
		if n := validatorPanics.Load(); n != 0 {
			panic(fmt.Sprintf("%d validator panics were caught", n))
		}
	}()
	_ = m.Validate()
	for _, t := range m.Tensors() {
		_ = t.Bytes()
		_, _ = t.Float32()
		_ = t.NumElements()
	}
	d := Describe(m)
	_ = d.WriteText(io.Discard)
	if seq, ok := m.Graph(GraphSequence); ok {
		_, _ = DeriveStep(*seq)
		_, _ = seq.TopoOrder()
	}
}

func TestTruncationAtEveryByte(t *testing.T) {
	b := smallBuilder(t)
	st, err := b.DeriveStep(b.graphs[0])
	require.NoError(t, err)
	require.NoError(t, b.AddGraph(st))
	data, err := b.Bytes()
	require.NoError(t, err)
	fbEnd := 4 + int(binary.LittleEndian.Uint32(data))
	for n := 0; n < len(data); n++ {
		cut := append([]byte(nil), data[:n]...) // own backing array: no reads past n
		m, err := FromBytes(cut)
		if n < fbEnd {
			require.Error(t, err, "truncated at %d of %d", n, len(data))
			continue
		}
		// the FlatBuffer is whole; only weights are missing: open works, Validate
		// names the missing tensor buffers, accessors refuse them
		require.NoError(t, err, "cut at %d", n)
		ve := validationErr(t, m)
		assert.True(t, ve.Has(ProblemBuffer), "cut at %d", n)
		exercise(m)
	}
}

func TestByteFlipsNeverPanic(t *testing.T) {
	data, err := smallBuilder(t).Bytes()
	require.NoError(t, err)
	fbEnd := 4 + int(binary.LittleEndian.Uint32(data))
	rng := rand.New(rand.NewSource(1))
	opened := 0
	for i := 0; i < fbEnd; i++ {
		for _, v := range []byte{0, 0xff, data[i] ^ 0x80, byte(rng.Intn(256))} {
			mut := append([]byte(nil), data...)
			mut[i] = v
			m, err := FromBytes(mut)
			if err == nil {
				opened++
				exercise(m)
			}
		}
	}
	t.Logf("%d of %d single-byte mutations still open", opened, 4*fbEnd)
	require.Zero(t, decoderPanics.Load(), "decoder panic caught: the verifier missed something")
}

func FuzzOpen(f *testing.F) {
	data, err := smallBuilder(f).Bytes()
	require.NoError(f, err)
	f.Add(data)
	b := smallBuilder(f)
	st, err := b.DeriveStep(b.graphs[0])
	require.NoError(f, err)
	require.NoError(f, b.AddGraph(st))
	withStep, err := b.Bytes()
	require.NoError(f, err)
	f.Add(withStep)
	q := NewBuilder()
	require.NoError(f, q.AddInt8("w", []int64{2, 2}, []int8{1, 2, 3, 4}, []float32{1, 2}, 1))
	require.NoError(f, q.AddTensor("h", F16, []int64{2}, []byte{0, 0x3c, 0, 0xc0}))
	require.NoError(f, q.AddGraph(Graph{Name: GraphSequence}))
	qd, err := q.Bytes()
	require.NoError(f, err)
	f.Add(qd)
	f.Add(everyOpModel(f))
	f.Add([]byte{})
	f.Add([]byte("\x08\x00\x00\x00\x00\x00\x00\x00SSM1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := FromBytes(data)
		require.Zero(t, decoderPanics.Load(), "decoder panic caught: the verifier missed something")
		if err != nil {
			return
		}
		exercise(m)
	})
}

// countingReaderAt counts the bytes read through it.
type countingReaderAt struct {
	r io.ReaderAt
	n atomic.Int64
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n.Add(int64(n))
	return n, err
}

// TestLargeSparseFile writes a model whose 3 GiB tensor is a hole in a sparse file
// (no disk used) and opens it without reading it: via mmap, and via a counting
// ReaderAt that must see only the header and the small tensor.
func TestLargeSparseFile(t *testing.T) {
	if strconv.IntSize < 64 {
		t.Fatalf("a 3 GiB mapping needs a 64-bit platform")
	}
	const big int64 = 3 << 30
	b := NewBuilder()
	require.NoError(t, b.AddFloat32("small", []int64{4}, []float32{1, 2, 3, 4}))
	// describe the big tensor's header entry without materialising 3 GiB: build with a
	// tiny placeholder, then patch the size and shape in the FlatBuffer
	require.NoError(t, b.AddTensor("big", U8, []int64{1}, []byte{0}))
	require.NoError(t, b.AddGraph(Graph{Name: GraphSequence}))
	data, err := b.Bytes()
	require.NoError(t, err)
	tt := tensorTable(data, 1)
	require.True(t, tt.MutateSize(uint64(big)))
	require.True(t, tt.MutateShape(0, big))
	crcKind := tt.MutateChecksumKind(0) // a hole has a CRC we do not want to compute here
	require.True(t, crcKind)
	bigOff := int64(tt.Offset())

	path := filepath.Join(t.TempDir(), "big.ssm")
	f, err := os.Create(path)
	require.NoError(t, err)
	_, err = f.Write(data[:bigOff])
	require.NoError(t, err)
	require.NoError(t, f.Truncate(bigOff+big))
	require.NoError(t, f.Close())

	m, err := Open(path)
	require.NoError(t, err)
	defer m.Close()
	bt, ok := m.Tensor("big")
	require.True(t, ok)
	assert.Equal(t, big, bt.NumElements())
	assert.Equal(t, uint64(bigOff), bt.Offset())
	raw := bt.Bytes()
	require.Equal(t, big, int64(len(raw)))
	assert.Equal(t, byte(0), raw[len(raw)-1]) // touches one page only
	st, _ := m.Tensor("small")
	v, err := st.Float32()
	require.NoError(t, err)
	assert.Equal(t, []float32{1, 2, 3, 4}, v)

	rf, err := os.Open(path)
	require.NoError(t, err)
	defer rf.Close()
	cr := &countingReaderAt{r: rf}
	m2, err := FromReaderAt(cr, bigOff+big)
	require.NoError(t, err)
	st2, _ := m2.Tensor("small")
	v2, err := st2.Float32()
	require.NoError(t, err)
	assert.Equal(t, v, v2)
	assert.Less(t, cr.n.Load(), int64(64<<10), "only the header and the small tensor are read")
	assert.Equal(t, m.Graphs(), m2.Graphs())
}

func TestOpenErrors(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "missing.ssm"))
	require.Error(t, err)
	assert.True(t, errors.Is(err, os.ErrNotExist))

	path := filepath.Join(t.TempDir(), "junk.ssm")
	require.NoError(t, os.WriteFile(path, bytes.Repeat([]byte("junk"), 100), 0o644))
	_, err = Open(path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), path)

	data, err := smallBuilder(t).Bytes()
	require.NoError(t, err)
	copy(data[8:], "ONNX")
	_, err = FromBytes(data)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `file identifier "ONNX", want "SSM1"`)

	data, err = smallBuilder(t).Bytes()
	require.NoError(t, err)
	binary.LittleEndian.PutUint32(data, uint32(len(data)))
	_, err = FromBytes(data)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "truncated")
}

func TestGeneratedCodeUpToDate(t *testing.T) {
	flatc, err := exec.LookPath("flatc")
	require.NoError(t, err, "flatc (Debian package flatbuffers-compiler) is needed to check the generated code")
	dir := t.TempDir()
	out, err := exec.Command(flatc, "--go", "--go-namespace", "fb", "-o", dir, "spikessm.fbs").CombinedOutput()
	require.NoError(t, err, "%s", out)
	fresh, err := filepath.Glob(filepath.Join(dir, "fb", "*.go"))
	require.NoError(t, err)
	committed, err := filepath.Glob(filepath.Join("internal", "fb", "*.go"))
	require.NoError(t, err)
	require.Equal(t, len(fresh), len(committed), "generated file sets differ: run go generate ./format")
	for _, p := range fresh {
		src, err := os.ReadFile(p)
		require.NoError(t, err)
		want, err := format.Source(src)
		require.NoError(t, err)
		got, err := os.ReadFile(filepath.Join("internal", "fb", filepath.Base(p)))
		require.NoError(t, err, "missing generated file: run go generate ./format")
		require.True(t, bytes.Equal(want, got), "%s is stale: run go generate ./format", filepath.Base(p))
	}
}

// TestVerifierMatchesSchema checks the verifier's table specs against the generated
// accessors: every field's vtable slot and kind.
func TestVerifierMatchesSchema(t *testing.T) {
	accessor := regexp.MustCompile(`func \(rcv \*(\w+)\) (\w+)\(([^)]*)\) ([^{]*)\{\n\to := flatbuffers\.UOffsetT\(rcv\._tab\.Offset\((\d+)\)\)`)
	starts := regexp.MustCompile(`func (\w+)Start\(builder \*flatbuffers\.Builder\) \{\n\tbuilder\.StartObject\((\d+)\)`)
	specs := map[string]*tableSpec{}
	for _, s := range []*tableSpec{specOpsetImport, specKeyValue, specDim, specValueInfo, specNode, specGraph, specTensor, specModel} {
		specs[s.name] = s
	}
	files, err := filepath.Glob(filepath.Join("internal", "fb", "*.go"))
	require.NoError(t, err)
	seen := map[string]bool{}
	for _, p := range files {
		src, err := os.ReadFile(p)
		require.NoError(t, err)
		for _, m := range starts.FindAllStringSubmatch(string(src), -1) {
			spec, ok := specs[m[1]]
			require.True(t, ok, "table %s has no verifier spec", m[1])
			n, _ := strconv.Atoi(m[2])
			assert.Equal(t, n, len(spec.fields), "%s field count", m[1])
		}
		for _, m := range accessor.FindAllStringSubmatch(string(src), -1) {
			table, method, args, ret := m[1], m[2], m[3], strings.TrimSpace(m[4])
			spec, ok := specs[table]
			if !ok {
				continue // structs
			}
			off, _ := strconv.Atoi(m[5])
			slot := (off - 4) / 2
			require.Less(t, slot, len(spec.fields), "%s.%s", table, method)
			f := spec.fields[slot]
			if strings.HasPrefix(method, "Mutate") || strings.HasSuffix(method, "Length") || strings.HasSuffix(method, "Bytes") && method != "Bytes" {
				continue
			}
			assert.Equal(t, camel(f.name), method, "%s slot %d", table, slot)
			seen[table+"."+f.name] = true
			var want fieldKind
			switch {
			case strings.Contains(args, "j int") && strings.Contains(args, "obj"):
				want = fVecTable
			case strings.Contains(args, "j int") && ret == "[]byte":
				want = fVecString
			case strings.Contains(args, "j int"):
				want = fVecScalar
			case ret == "[]byte":
				want = fString
			case strings.Contains(args, "obj") && strings.HasPrefix(ret, "*Version"):
				want = fScalar // inline struct
			default:
				want = fScalar
			}
			assert.Equal(t, want, f.kind, "%s.%s kind", table, f.name)
		}
	}
	for _, s := range specs {
		for _, f := range s.fields {
			if f.name == "bytes" {
				continue // generated as Bytes(j)/BytesBytes(), checked by kind elsewhere
			}
			assert.True(t, seen[s.name+"."+f.name], "no accessor found for %s.%s", s.name, f.name)
		}
	}
}

func camel(s string) string {
	var b strings.Builder
	up := true
	for _, r := range s {
		if r == '_' {
			up = true
			continue
		}
		if up {
			r = unicode.ToUpper(r)
			up = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// TestOpsMDMatchesRegistry keeps the summary table of OPS.md and OpSpecs() equal.
func TestOpsMDMatchesRegistry(t *testing.T) {
	md, err := os.ReadFile("OPS.md")
	require.NoError(t, err)
	row := regexp.MustCompile(`(?m)^\| ([A-Za-z0-9, ]+) \| (.+?) \| (.+?) \| (.+?) \| (.+?) \| (.+?) \| (\d+|version) \|$`)
	names := func(cell string) []string {
		var out []string
		for _, p := range strings.Split(cell, ",") {
			p = strings.TrimSpace(strings.Fields(p + " x")[0])
			if p != "–" && p != "" && p != "x" {
				out = append(out, p)
			}
		}
		return out
	}
	found := map[string]bool{}
	for _, m := range row.FindAllStringSubmatch(string(md), -1) {
		if m[1] == "op" {
			continue
		}
		for _, op := range strings.Split(m[1], ",") {
			op = strings.TrimSpace(op)
			spec, ok := LookupOp("", op)
			require.True(t, ok, "OPS.md lists %s, registry does not", op)
			found[op] = true
			var ins, outs, attrs, state []string
			for _, p := range spec.Inputs {
				if p.Optional {
					ins = append(ins, "*"+p.Name+"*")
				} else {
					ins = append(ins, p.Name)
				}
			}
			for _, p := range spec.Outputs {
				if p.Optional {
					outs = append(outs, "*"+p.Name+"*")
				} else {
					outs = append(outs, p.Name)
				}
			}
			for _, a := range spec.Attrs {
				attrs = append(attrs, a.Name)
			}
			for _, s := range spec.State {
				state = append(state, s.Name)
			}
			assert.Equal(t, ins, names(m[2]), "%s inputs", op)
			assert.Equal(t, outs, names(m[3]), "%s outputs", op)
			assert.Equal(t, attrs, names(m[4]), "%s attributes", op)
			assert.Equal(t, state, names(m[5]), "%s state", op)
			assert.Equal(t, spec.Temporal, strings.HasPrefix(m[6], "yes"), "%s temporal", op)
			assert.Equal(t, strconv.Itoa(spec.Version), m[7], "%s version", op)
			heading := regexp.MustCompile(`(?m)^## (.*, )?` + op + `(,.*)?$`)
			assert.True(t, heading.Match(md), "%s has no section", op)
		}
	}
	for _, s := range OpSpecs() {
		assert.True(t, found[s.Op], "registry op %s missing from the OPS.md table", s.Op)
	}
}
