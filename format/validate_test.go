package format

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestValidSmallModelWithStep(t *testing.T) {
	b := smallBuilder(t)
	seq := b.graphs[0]
	st, err := b.DeriveStep(seq)
	require.NoError(t, err)
	require.NoError(t, b.AddGraph(st))
	data, err := b.Bytes()
	require.NoError(t, err)
	m, err := FromBytes(data)
	require.NoError(t, err)
	require.NoError(t, m.Validate())
	g, ok := m.Graph(GraphStep)
	require.True(t, ok)
	t.Logf("%+v", g)
}
