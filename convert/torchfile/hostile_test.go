package torchfile

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tensorPickle is a protocol-2 pickle of
// _rebuild_tensor_v2(('storage', FloatStorage, '0', 'cpu', numel), 0, (n,), (stride,), False, {}).
func tensorPickle(numel uint32, n, stride uint8) []byte {
	var b bytes.Buffer
	b.WriteString("\x80\x02ctorch._utils\n_rebuild_tensor_v2\n((")
	str := func(s string) {
		b.WriteByte('X')
		_ = binary.Write(&b, binary.LittleEndian, uint32(len(s)))
		b.WriteString(s)
	}
	str("storage")
	b.WriteString("ctorch\nFloatStorage\n")
	str("0")
	str("cpu")
	b.WriteByte('J')
	_ = binary.Write(&b, binary.LittleEndian, numel)
	b.WriteString("tQK\x00K")
	b.WriteByte(n)
	b.WriteString("\x85K")
	b.WriteByte(stride)
	b.WriteString("\x85\x89}tR.")
	return b.Bytes()
}

func torchZip(t *testing.T, pkl []byte, storage []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range []struct {
		name string
		data []byte
	}{{"archive/data.pkl", pkl}, {"archive/data/0", storage}} {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: zip.Store})
		require.NoError(t, err)
		_, err = w.Write(e.data)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func floats(v ...float32) []byte {
	out := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(x))
	}
	return out
}

func TestHandmadeZip(t *testing.T) {
	data := torchZip(t, tensorPickle(4, 2, 2), floats(1, 2, 3, 4))
	c, err := Parse(data, "ok.pt")
	require.NoError(t, err)
	assert.Equal(t, "zip", c.Container)
	tt := c.Root.(*Tensor)
	assert.Equal(t, []float32{1, 3}, tt.Data) // strided view

	_, err = Parse(torchZip(t, tensorPickle(4, 2, 9), floats(1, 2, 3, 4)), "stride.pt")
	require.ErrorContains(t, err, "stride.pt")
	require.ErrorContains(t, err, "stride")

	_, err = Parse(torchZip(t, tensorPickle(0x7fffffff, 2, 1), floats(1, 2, 3, 4)), "huge.pt")
	require.ErrorContains(t, err, "more than the")

	_, err = Parse(torchZip(t, tensorPickle(4, 4, 1), floats(1, 2)), "short.pt")
	require.ErrorContains(t, err, "want 16")

	_, err = Parse(torchZip(t, tensorPickle(4, 5, 1), floats(1, 2, 3, 4)), "view.pt")
	require.ErrorContains(t, err, "reaches element")

	// a zip without data.pkl is not a torch file
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	_, err = zw.Create("readme.txt")
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	_, err = Parse(buf.Bytes(), "plain.zip")
	require.ErrorContains(t, err, "data.pkl")
}

func TestScanPickle(t *testing.T) {
	end, err := scanPickle([]byte("\x80\x02K\x05.trailing"))
	require.NoError(t, err)
	assert.Equal(t, 5, end)
	for _, bad := range []string{
		"", "\x80", "X\xff\xff\xff\x7fab.", "T\xff\xff\xff\xff.", "\x95\x00\x00\x00\x00\x01\x00\x00\x00.",
		"cmod\nname", "\xff.", "K\x05", "\x8e\x01\x00\x00\x00\x00\x00\x00\x80.",
	} {
		_, err := scanPickle([]byte(bad))
		assert.Error(t, err, "%q", bad)
	}
}
