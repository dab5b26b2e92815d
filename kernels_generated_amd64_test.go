package spikessm

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestGeneratedFiles (amd64 hosts: the generators are portable, one check suffices) reruns every code generator of the package into a temporary directory
// and requires each committed file to be exactly its output (go generate was not forgotten).
func TestGeneratedFiles(t *testing.T) {
	wd, err := os.Getwd()
	require.NoError(t, err)
	for _, g := range []struct {
		gen   string
		files []string
		arg   func(dir string) []string // generator arguments for output in dir; nil: writes into its working directory
	}{
		{"kernels_scanunit_gen.go", []string{"kernels_scanunit_amd64.s"}, func(d string) []string { return []string{filepath.Join(d, "kernels_scanunit_amd64.s")} }},
		{"kernels_gemm_gen.go", []string{"kernels_gemm_amd64.s"}, func(d string) []string { return []string{filepath.Join(d, "kernels_gemm_amd64.s")} }},
		{"kernels_sdn_gen.go", []string{"kernels_sdn_amd64.s", "kernels_sdn_arm64.s"}, func(d string) []string { return []string{d} }},
		{"kernels_gelu_gen.go", []string{"kernels_gelu_coef.go"}, nil},
	} {
		t.Run(g.gen, func(t *testing.T) {
			dir := t.TempDir()
			args := []string{"run", filepath.Join(wd, g.gen)}
			if g.arg != nil {
				args = append(args, g.arg(dir)...)
			}
			cmd := exec.Command("go", args...)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "GOFLAGS=", "GO111MODULE=off")
			msg, err := cmd.CombinedOutput()
			require.NoError(t, err, "%s", msg)
			for _, f := range g.files {
				want, err := os.ReadFile(filepath.Join(dir, f))
				require.NoError(t, err)
				got, err := os.ReadFile(f)
				require.NoError(t, err)
				require.Equal(t, string(want), string(got), "%s is stale: go generate (%s)", f, g.gen)
			}
		})
	}
}
