package main

import (
	"bytes"
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spikessm/spikessm"
	"github.com/spikessm/spikessm/convert/safetensors"
	"github.com/stretchr/testify/require"
)

const refDir = "../../testdata/reference"

func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	code = mainExit(args, &o, &e)
	return o.String(), e.String(), code
}

func TestUsageAndExitCodes(t *testing.T) {
	_, _, code := runCLI(t)
	require.Equal(t, 2, code, "no command is a usage error")
	out, _, code := runCLI(t, "--help")
	require.Equal(t, 0, code)
	for _, c := range []string{"run", "convert", "inspect", "bench", "version"} {
		require.Contains(t, out, c)
	}
	_, errOut, code := runCLI(t, "frobnicate")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, `unknown command "frobnicate"`)
	_, _, code = runCLI(t, "inspect")
	require.Equal(t, 2, code, "inspect without a file")
	_, _, code = runCLI(t, "convert", filepath.Join(refDir, "s4d_example/ckpt.pth"))
	require.Equal(t, 2, code, "convert without -o")
	_, errOut, code = runCLI(t, "run", "--kernels", "sse9")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "sse9")
	_, errOut, code = runCLI(t, "inspect", "no-such-file.ssm")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "no-such-file.ssm")
	for _, c := range []string{"run", "convert", "inspect", "bench", "version"} {
		_, errOut, code := runCLI(t, c, "--help")
		require.Equal(t, 0, code, c)
		require.Contains(t, errOut, "Usage: spikessm "+c, c)
	}
}

func TestVersionListsVariants(t *testing.T) {
	out, _, code := runCLI(t, "version", "--variants")
	require.Equal(t, 0, code)
	lines := strings.Fields(out)
	require.NotEmpty(t, lines)
	require.Equal(t, "generic", lines[len(lines)-1], "generic is always available, listed last")
	require.Len(t, lines, len(spikessm.Variants()))
	out, _, code = runCLI(t, "version")
	require.Equal(t, 0, code)
	require.Contains(t, out, "kernels:")
	require.Contains(t, out, "features:")
}

// Convert a reference checkpoint, inspect it, and run it on the recorded input: the JSON logits
// must match PyTorch's within the fixture tolerance and the labels must be PyTorch's argmax.
func TestConvertInspectRunJSON(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "s4d.ssm")
	out, errOut, code := runCLI(t, "convert", filepath.Join(refDir, "s4d_example/ckpt.pth"), "-o", model)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "wrote "+model)

	out, errOut, code = runCLI(t, "inspect", model, "--json")
	require.Equal(t, 0, code, errOut)
	var desc map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &desc))
	out, _, code = runCLI(t, "inspect", model)
	require.Equal(t, 0, code)
	require.Contains(t, out, "S4D")
	require.Contains(t, out, "sequence")

	io := filepath.Join(refDir, "s4d_example/io.safetensors")
	out, errOut, code = runCLI(t, "run", "--model", model, "--input", io, "--json")
	require.Equal(t, 0, code, errOut)
	var res runOutput
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	require.Len(t, res.Sequences, 16)

	f, err := safetensors.ReadFile(io)
	require.NoError(t, err)
	lt, ok := f.Get("logits")
	require.True(t, ok)
	want, err := lt.Float32()
	require.NoError(t, err)
	for i, s := range res.Sequences {
		require.Equal(t, i, s.Index)
		require.Len(t, s.Logits, 10)
		row := want[i*10 : (i+1)*10]
		for k := range row {
			require.LessOrEqual(t, math.Abs(float64(s.Logits[k]-row[k])), 1e-4, "sequence %d logit %d", i, k)
		}
		require.Equal(t, argmax(row), s.Label, "sequence %d", i)
	}

	// The human summary with labels reports the accuracy of the reference model on its test split.
	out, errOut, code = runCLI(t, "run", "--model", model, "--input", filepath.Join(refDir, "test_digits.safetensors"), "--tensor", "x64")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "accuracy:   95.00 % (342/360)")
}

func TestConvertErrorsNameTheProblem(t *testing.T) {
	dir := t.TempDir()
	_, errOut, code := runCLI(t, "convert", filepath.Join(refDir, "README.md"), "-o", filepath.Join(dir, "x.ssm"))
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "README.md")
	_, errOut, code = runCLI(t, "convert", "../../testdata/checkpoints/nir/lif_norse.nir", "-o", filepath.Join(dir, "x.ssm"))
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "--dt")
}

func TestConvertNIRWithDT(t *testing.T) {
	out := filepath.Join(t.TempDir(), "lif.ssm")
	stdout, errOut, code := runCLI(t, "convert", "../../testdata/checkpoints/nir/lif_norse.nir", "--dt", "1e-4", "-o", out)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, stdout, "wrote")
	stdout, _, code = runCLI(t, "inspect", out)
	require.Equal(t, 0, code)
	require.Contains(t, stdout, "CubaLIF")
	require.Contains(t, stdout, "semantics.dt")
}

// A tiny kernel sweep writes a JSON report that bench compare reads back.
func TestBenchAndCompare(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.json")
	out, errOut, code := runCLI(t, "bench", "--kernels", "--filter", "kernel=glu/variant=generic", "--reps", "2", "--warmup", "0", "-o", a)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "kernel=glu/variant=generic")
	out, errOut, code = runCLI(t, "bench", "compare", a, a)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "1.00x")
	_, _, code = runCLI(t, "bench", "compare", a)
	require.Equal(t, 2, code, "compare needs two reports")
	_, _, code = runCLI(t, "bench", "--mode", "sideways")
	require.Equal(t, 2, code)
}
