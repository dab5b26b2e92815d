package embedded

import _ "embed"

//go:generate go run ./gen -root ../.. -out .

//go:embed default.ssm
var model []byte

//go:embed testset.safetensors
var testSet []byte

// Model returns the embedded .ssm model file. The caller must not modify it.
func Model() []byte { return model }

// TestSet returns the embedded test set, a safetensors file with "input" (360, 1024, 1) float32
// and "labels" (360) int64. The caller must not modify it.
func TestSet() []byte { return testSet }
