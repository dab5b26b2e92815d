package torchfile

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

const fixtures = "../../testdata/checkpoints"

// Values written by gopickle's testdata generator (research note
// checkpoints.md §7.3): floats [1.2,-3.4,5.6,-7.8], ints [1,-2,3,-4],
// uint8 [1,10,100,255], bool [T,F,T,F]. Half and bfloat16 hold the nearest
// representable values (binary16 0x3CCD 0xC2CD 0x459A 0xC7CD; bfloat16 is
// the float32 rounded to 8 mantissa bits).
var gopickleWant = map[string]any{
	"float32":  []float32{1.2, -3.4, 5.6, -7.8},
	"float64":  []float64{1.2, -3.4, 5.6, -7.8},
	"float16":  []float32{1.2001953125, -3.400390625, 5.6015625, -7.80078125},
	"bfloat16": []float32{1.203125, -3.40625, 5.59375, -7.8125},
	"int8":     []int8{1, -2, 3, -4},
	"int16":    []int16{1, -2, 3, -4},
	"int32":    []int32{1, -2, 3, -4},
	"int64":    []int64{1, -2, 3, -4},
	"uint8":    []uint8{1, 10, 100, 255},
	"bool":     []bool{true, false, true, false},
}

func TestGopickleFixtures(t *testing.T) {
	n := 0
	for dt, want := range gopickleWant {
		for proto := 1; proto <= 5; proto++ {
			for _, zip := range []bool{false, true} {
				name := fmt.Sprintf("tensor_%s_proto%d", dt, proto)
				if zip {
					name += "_zip"
				}
				c, err := Load(filepath.Join(fixtures, "gopickle", name+".pt"))
				require.NoError(t, err, name)
				if zip {
					assert.Equal(t, "zip", c.Container, name)
				} else {
					assert.Equal(t, "legacy", c.Container, name)
				}
				tt, ok := c.Root.(*Tensor)
				require.True(t, ok, "%s: root is %T", name, c.Root)
				assert.Equal(t, dt, tt.DType, name)
				assert.Equal(t, []int{4}, tt.Shape, name)
				assert.Equal(t, want, tt.Data, name)
				n++
			}
		}
	}
	assert.Equal(t, 100, n)
}

func TestFloatConversions(t *testing.T) {
	tt := &Tensor{DType: "int16", Shape: []int{3}, Data: []int16{1, -2, 300}}
	f, err := tt.Float32()
	require.NoError(t, err)
	assert.Equal(t, []float32{1, -2, 300}, f)
	d, err := (&Tensor{DType: "bool", Data: []bool{true, false}}).Float64()
	require.NoError(t, err)
	assert.Equal(t, []float64{1, 0}, d)
	_, err = (&Tensor{Name: "z", DType: "complex64", Data: []complex64{1}}).Float32()
	require.ErrorContains(t, err, "not real")
}

func TestSyntheticComplexAndViews(t *testing.T) {
	c, err := Load("testdata/complex.pt")
	require.NoError(t, err)
	sd, _, err := c.StateDict()
	require.NoError(t, err)
	assert.Equal(t, []complex64{1 + 2i, -3.5 + 0.25i, -1i}, sd["c"].Data)
	assert.Equal(t, []complex128{1 + 2i, -3.5 + 0.25i, -1i}, sd["c128"].Data)

	c, err = Load("testdata/legacy_views.pt")
	require.NoError(t, err)
	assert.Equal(t, "legacy", c.Container)
	sd, keys, err := c.StateDict()
	require.NoError(t, err)
	assert.Equal(t, []string{"full", "col1", "tail", "t"}, keys)
	assert.Equal(t, []int{3, 4}, sd["full"].Shape)
	assert.Equal(t, []float32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, sd["full"].Data)
	assert.Equal(t, []float32{1, 5, 9}, sd["col1"].Data)
	assert.Equal(t, []float32{6, 7, 8, 9, 10, 11}, sd["tail"].Data)
	assert.Equal(t, []int{4, 3}, sd["t"].Shape)
	assert.Equal(t, []float32{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}, sd["t"].Data)

	c, err = Load("testdata/net_namespace.pt")
	require.NoError(t, err)
	sd, keys, err = c.StateDict()
	require.NoError(t, err)
	assert.Equal(t, []string{"w"}, keys)
	assert.Equal(t, []float32{1, 1, 1, 1}, sd["w"].Data)
	hp, ok := c.HyperParameters()
	require.True(t, ok)
	assert.Equal(t, map[string]any{"lr": 0.5, "layers": []any{int64(1), int64(2)}, "name": "x"}, hp)
}

func TestTorchScriptSDN(t *testing.T) {
	c, err := Load(filepath.Join(fixtures, "sdn", "sdn_mem_pred_d8k8_c3_125.torchscript.pkl"))
	require.NoError(t, err)
	assert.Equal(t, "torchscript", c.Container)
	o, ok := c.Root.(*Object)
	require.True(t, ok)
	assert.Equal(t, "PredModel", o.Name)
	sd, keys, err := c.StateDict()
	require.NoError(t, err)
	assert.Equal(t, []string{"conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "conv3.weight", "conv3.bias"}, keys)
	assert.Equal(t, []int{8, 1, 8}, sd["conv1.weight"].Shape)
	assert.Equal(t, []int{8, 8, 1}, sd["conv2.weight"].Shape)
	assert.Equal(t, []int{1, 8, 1}, sd["conv3.weight"].Shape)
	assert.Equal(t, []int{1}, sd["conv3.bias"].Shape)

	// The reference README: the SDN weights in every SpikingSSM layer equal
	// the upstream TorchScript file's. Two different containers must agree.
	ck, err := Load("../../testdata/reference/spikingssm_sdn/last.ckpt")
	require.NoError(t, err)
	ckSD, _, err := ck.StateDict()
	require.NoError(t, err)
	for _, k := range keys {
		for layer := 0; layer < 2; layer++ {
			other := ckSD[fmt.Sprintf("model.s4_layers.%d.neuron.model.%s", layer, k)]
			require.NotNil(t, other, k)
			assert.Equal(t, sd[k].Data, other.Data, k)
		}
	}
}

func TestLightning165(t *testing.T) {
	c, err := Load(filepath.Join(fixtures, "nir", "nmnist_cnn_lightning_1.6.5.ckpt"))
	require.NoError(t, err)
	assert.Equal(t, "1.6.5", c.LightningVersion())
	sd, keys, err := c.StateDict()
	require.NoError(t, err)
	assert.Equal(t, []string{"model.0.weight", "model.3.weight", "model.6.weight", "model.10.weight", "model.12.weight"}, keys)
	// shapes and sum as torch.load reports them (torch 1.13, recorded once)
	assert.Equal(t, []int{20, 2, 5, 5}, sd["model.0.weight"].Shape)
	assert.Equal(t, []int{500, 128}, sd["model.10.weight"].Shape)
	w, err := sd["model.0.weight"].Float64()
	require.NoError(t, err)
	sum := 0.0
	for _, v := range w {
		sum += v
	}
	assert.InDelta(t, -15.865055084228516, sum, 1e-4)
	_, ok := c.HyperParameters()
	assert.False(t, ok)
	root := c.Root.(map[string]any)
	assert.Contains(t, root, "optimizer_states")
	assert.Contains(t, root, "NativeMixedPrecisionPlugin")
}

func TestSiLIFAndSnnTorch(t *testing.T) {
	c, err := Load(filepath.Join(fixtures, "silif", "ref_SSC_CSiLIF_best_model.pth"))
	require.NoError(t, err)
	sd, _, err := c.StateDict()
	require.NoError(t, err)
	assert.Equal(t, []int{512}, sd["snn.0.log_dt"].Shape)
	assert.Equal(t, "int64", sd["snn.0.norm.num_batches_tracked"].DType)
	assert.Empty(t, sd["snn.0.norm.num_batches_tracked"].Shape)

	c, err = Load(filepath.Join(fixtures, "nir", "snntorch_model_noDelay_bias_ref_zero.pt"))
	require.NoError(t, err)
	sd, _, err = c.StateDict()
	require.NoError(t, err)
	// research note §7.2: beta 0.9, alpha 0.55, reset_mechanism_val 1 (int64 0-d)
	assert.InDelta(t, 0.9, sd["lif1.beta"].Data.([]float32)[0], 1e-6)
	assert.InDelta(t, 0.55, sd["lif1.alpha"].Data.([]float32)[0], 1e-6)
	assert.Equal(t, []int64{1}, sd["lif1.reset_mechanism_val"].Data)
	assert.Equal(t, []int{38, 38}, sd["lif1.recurrent.weight"].Shape)
}

// Every reference checkpoint reads, and the Lightning ones' hyper-parameters
// (a pickled OmegaConf DictConfig) equal the config.yaml saved beside them.
func TestReferenceCheckpoints(t *testing.T) {
	cases := map[string]string{
		"s4d_example": "ckpt.pth", "binary_s4d": "ckpt.pth", "s4block_diag": "last.ckpt",
		"spikingssm_sdn": "last.ckpt", "spikingssm_sdn_long": "last.ckpt",
	}
	for name, file := range cases {
		c, err := Load(filepath.Join("../../testdata/reference", name, file))
		require.NoError(t, err, name)
		sd, keys, err := c.StateDict()
		require.NoError(t, err, name)
		assert.Len(t, sd, len(keys))
		for _, k := range keys {
			assert.Equal(t, sd[k].NumElements(), lenOf(sd[k].Data), k)
		}
		if file != "last.ckpt" {
			continue
		}
		assert.Equal(t, "2.0.4", c.LightningVersion(), name)
		hp, ok := c.HyperParameters()
		require.True(t, ok, name)
		raw, err := os.ReadFile(filepath.Join("../../testdata/reference", name, "config.yaml"))
		require.NoError(t, err)
		var want map[string]any
		require.NoError(t, yaml.Unmarshal(raw, &want))
		assert.Equal(t, normalize(want), normalize(hp), name)
		// key order is the pickle's
		assert.Equal(t, "train", c.Keys(hp)[0], name)
	}
}

func lenOf(d any) int {
	switch x := d.(type) {
	case []float32:
		return len(x)
	case []int64:
		return len(x)
	}
	return -1
}

// normalize maps ints to int64 so YAML and pickle values compare.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = normalize(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	case int:
		return int64(x)
	}
	return v
}

func TestBadInputs(t *testing.T) {
	_, err := Parse([]byte("hello world"), "junk.bin")
	require.ErrorContains(t, err, "junk.bin")
	require.ErrorContains(t, err, "not a PyTorch file")
	_, err = Parse(nil, "empty.pt")
	require.Error(t, err)
	_, err = Load("does/not/exist.pt")
	require.Error(t, err)
	// a bare pickle that is not a torch.save file
	_, err = Parse([]byte("\x80\x02K\x05."), "int.pkl")
	require.ErrorContains(t, err, "magic")
	// a hostile length prefix must be refused before allocation
	_, err = Parse([]byte("\x80\x04\x8e\xff\xff\xff\xff\xff\xff\xff\x7f."), "huge.pkl")
	require.ErrorContains(t, err, "claims")
	// odd SETITEMS (a gopickle panic) becomes an error naming the file
	_, err = Parse(append(legacyHeader(), []byte("\x80\x02}(K\x01u.")...), "odd.pt")
	require.ErrorContains(t, err, "odd.pt")
}

func legacyHeader() []byte {
	// magic, protocol 1001, sys_info {} as protocol-2 pickles
	return []byte("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.\x80\x02M\xe9\x03.\x80\x02}.")
}

// Truncating or corrupting real files never panics.
func TestTruncatedAndCorrupted(t *testing.T) {
	files := []string{
		filepath.Join(fixtures, "gopickle", "tensor_float32_proto2.pt"),
		filepath.Join(fixtures, "gopickle", "tensor_int64_proto5_zip.pt"),
		filepath.Join(fixtures, "sdn", "sdn_mem_pred_d8k8_c3_125.torchscript.pkl"),
		"testdata/legacy_views.pt",
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		step := 1
		if len(data) > 2000 {
			step = 97
		}
		for n := 0; n < len(data); n += step {
			_, err := Parse(data[:n], f)
			assert.Error(t, err, "%s truncated to %d", f, n)
		}
		for i := 0; i < len(data); i += step {
			bad := append([]byte(nil), data...)
			bad[i] ^= 0xff
			_, _ = Parse(bad, f) // must not panic
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, p := range []string{
		"gopickle/tensor_float32_proto1.pt", "gopickle/tensor_bfloat16_proto4.pt",
		"gopickle/tensor_float16_proto2_zip.pt", "gopickle/tensor_bool_proto5.pt",
	} {
		data, err := os.ReadFile(filepath.Join(fixtures, p))
		require.NoError(f, err)
		f.Add(data)
	}
	for _, p := range []string{"testdata/legacy_views.pt", "testdata/complex.pt"} {
		data, err := os.ReadFile(p)
		require.NoError(f, err)
		f.Add(data)
	}
	f.Add(legacyHeader())
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "fuzz.pt")
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.pt") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		_, _, _ = c.StateDict()
		_, _ = c.HyperParameters()
	})
}

func TestAttributeDictHyperParameters(t *testing.T) {
	c, err := Load("testdata/attrdict.ckpt")
	require.NoError(t, err)
	assert.Equal(t, "1.9.0", c.LightningVersion())
	hp, ok := c.HyperParameters()
	require.True(t, ok)
	assert.Equal(t, map[string]any{"lr": 0.1, "n": int64(3)}, hp)
}
