package spikessm

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPMBCSmoke(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	T := 5000
	var p NeuronParams
	for l := range Lanes {
		p.Tau[l] = 0.5 + 0.5*rng.Float32()
		p.Theta[l] = 1
		p.Rho[l] = rng.Float32()
		p.Beta[l] = 0.9 * rng.Float32()
	}
	x := make([]float32, T*Lanes)
	for i := range x {
		x[i] = rng.Float32()*1.2 - 0.2
	}
	s1 := make([]float32, T*Lanes)
	s2 := make([]float32, T*Lanes)
	k := Default()
	var st NeuronState
	k.Neuron(&p, x, s1, nil, &st, T)
	passes, err := PMBCWith(k, &p, x, s2, T, PMBCOptions{Chunk: 256, Workers: 2})
	require.NoError(t, err)
	require.Equal(t, s1, s2)
	t.Log("passes", passes)
}
