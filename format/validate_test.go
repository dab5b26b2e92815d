package format

import (
	"encoding/json"
	"strings"
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

func TestDescribeSmall(t *testing.T) {
	b := smallBuilder(t)
	st, err := b.DeriveStep(b.graphs[0])
	require.NoError(t, err)
	require.NoError(t, b.AddGraph(st))
	data, err := b.Bytes()
	require.NoError(t, err)
	m, err := FromBytes(data)
	require.NoError(t, err)
	d := Describe(m)
	var sb strings.Builder
	require.NoError(t, d.WriteText(&sb))
	t.Log(sb.String())
	js, err := json.MarshalIndent(d, "", " ")
	require.NoError(t, err)
	t.Log(string(js)[:500])
}
