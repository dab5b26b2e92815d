package embedded

import (
	"testing"

	"github.com/spikessm/spikessm/convert/safetensors"
	"github.com/spikessm/spikessm/internal/embedded/build"
	"github.com/stretchr/testify/require"
)

// The committed files must be exactly what the generator makes from the fixtures, so the
// embedded model is always the converter's current output for the reference checkpoint.
func TestEmbeddedFilesAreFresh(t *testing.T) {
	model, set, err := build.Make("../..")
	require.NoError(t, err)
	require.Equal(t, model, Model(), "default.ssm is stale: run go generate ./internal/embedded")
	require.Equal(t, set, TestSet(), "testset.safetensors is stale: run go generate ./internal/embedded")
	require.Less(t, len(Model()), 1<<20, "the embedded model must stay under 1 MB")
}

func TestTestSetShape(t *testing.T) {
	f, err := safetensors.Parse(TestSet())
	require.NoError(t, err)
	in, ok := f.Get("input")
	require.True(t, ok)
	require.Equal(t, []int{360, 1024, 1}, in.Shape)
	l, ok := f.Get("labels")
	require.True(t, ok)
	require.Equal(t, []int{360}, l.Shape)
}
