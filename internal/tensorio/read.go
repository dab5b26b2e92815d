package tensorio

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"

	"github.com/spikessm/spikessm/convert/safetensors"
)

// Input is what a user's input file holds: the sequences and, when the file has them, their labels.
type Input struct {
	X      *Tensor
	Labels []int64 // nil when the file has none
}

// ReadFile reads an input file, detecting its kind by content: a NumPy .npy array, a safetensors
// file (the tensor named tensor, or when tensor is "" the one named "input", else the first
// tensor; an optional "labels" tensor), or CSV text (see ParseCSV). features is the model's input
// feature count, used to shape CSV rows.
func ReadFile(path string, features int, tensor string) (*Input, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(data, path, features, tensor)
}

// Parse is ReadFile on bytes already in memory; name is used in error messages.
func Parse(data []byte, name string, features int, tensor string) (*Input, error) {
	switch {
	case tensor != "" && !looksLikeSafetensors(data):
		return nil, fmt.Errorf("%s: a tensor name (%q) applies only to safetensors input", name, tensor)
	case bytes.HasPrefix(data, npyMagic):
		x, err := ParseNPY(data, name)
		if err != nil {
			return nil, err
		}
		return &Input{X: x}, nil
	case looksLikeSafetensors(data):
		return parseSafetensors(data, name, tensor)
	default:
		x, err := ParseCSV(data, name, features)
		if err != nil {
			return nil, err
		}
		return &Input{X: x}, nil
	}
}

// looksLikeSafetensors reports whether data starts with a plausible safetensors header: a
// little-endian u64 length that fits the file, followed by a JSON object.
func looksLikeSafetensors(data []byte) bool {
	if len(data) < 10 {
		return false
	}
	n := binary.LittleEndian.Uint64(data[:8])
	return n >= 2 && n <= uint64(len(data)-8) && data[8] == '{'
}

func parseSafetensors(data []byte, name, tensor string) (*Input, error) {
	f, err := safetensors.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if tensor != "" {
		if _, ok := f.Get(tensor); !ok {
			return nil, fmt.Errorf("%s: no tensor named %q", name, tensor)
		}
	} else {
		tensor = "input"
	}
	t, ok := f.Get(tensor)
	if !ok {
		for _, c := range f.Tensors {
			if c.Name != "labels" {
				t = c
				break
			}
		}
	}
	if t == nil {
		return nil, fmt.Errorf("%s: no input tensor (expected one named \"input\")", name)
	}
	x, err := t.Float32()
	if err != nil {
		return nil, fmt.Errorf("%s: tensor %q: %w", name, t.Name, err)
	}
	in := &Input{X: &Tensor{Shape: append([]int(nil), t.Shape...), Data: x}}
	if l, ok := f.Get("labels"); ok {
		if in.Labels, err = l.Int64(); err != nil {
			return nil, fmt.Errorf("%s: tensor \"labels\": %w", name, err)
		}
	}
	return in, nil
}
