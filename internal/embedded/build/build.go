package build

import (
	"bytes"
	"fmt"
	"path/filepath"

	"github.com/spikessm/spikessm/convert"
	"github.com/spikessm/spikessm/convert/safetensors"
)

// ModelDir is the reference checkpoint the default model is converted from, relative to the root.
const ModelDir = "testdata/spikessm_ref/L1024"

// Make converts the default model and extracts the test set, given the repository root.
func Make(root string) (model, testSet []byte, err error) {
	r, err := convert.ConvertFile(filepath.Join(root, ModelDir, "model.pt"), convert.Options{Arch: "spikessm_ref"})
	if err != nil {
		return nil, nil, err
	}
	if model, err = r.Bytes(); err != nil {
		return nil, nil, err
	}
	f, err := safetensors.ReadFile(filepath.Join(root, "testdata/reference/test_digits.safetensors"))
	if err != nil {
		return nil, nil, err
	}
	x, ok1 := f.Get("x1024")
	labels, ok2 := f.Get("labels")
	if !ok1 || !ok2 {
		return nil, nil, fmt.Errorf("test_digits.safetensors lacks x1024 or labels")
	}
	in := *x
	in.Name = "input"
	var buf bytes.Buffer
	err = safetensors.Write(&buf, []*safetensors.Tensor{&in, labels}, map[string]string{
		"source": "testdata/reference/test_digits.safetensors (x1024, labels): scikit-learn digits 1437..1796 upsampled to 32x32",
	})
	return model, buf.Bytes(), err
}
