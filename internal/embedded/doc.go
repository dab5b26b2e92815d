// Package embedded holds the model and test set that `spikessm run` uses when it is given no
// files: the project's SPikE-SSM reference model trained on 32×32-upsampled digits (sequence
// length 1024), converted to .ssm, and the 360 test sequences with their labels.
//
// It owns only those bytes. They are made by `go generate` (see gen/) from
// testdata/spikessm_ref/L1024 and testdata/reference/test_digits.safetensors; a test fails when the
// committed files differ from what the generator makes.
package embedded
