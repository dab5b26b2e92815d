package spikessm

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
)

// pmbcCase is one block of soft-reset neurons and its drive.
type pmbcCase struct {
	name string
	p    *NeuronParams
	x    []float32
	T    int
}

func pmbcParams(rng *rand.Rand, strict bool) *NeuronParams {
	p := &NeuronParams{Reset: ResetSoft, Strict: strict}
	for l := range Lanes {
		p.Tau[l] = 0.5 + 0.5*rng.Float32()
		if l%4 == 0 {
			p.Tau[l] = 1
		}
		if l == 5 {
			p.Tau[l] = 0
		}
		p.Theta[l] = 0.5 + rng.Float32()
		if l%3 == 1 {
			p.Rho[l] = rng.Float32()
			p.Beta[l] = 0.9 * rng.Float32()
		}
	}
	return p
}

func pmbcCases(rng *rand.Rand) []pmbcCase {
	var cs []pmbcCase
	for _, strict := range []bool{false, true} {
		for _, T := range []int{1, 2, 17, 100, 513, 2000} {
			p := pmbcParams(rng, strict)
			x := make([]float32, T*Lanes)
			for i := range x {
				x[i] = float32(rng.NormFloat64()*0.6 + 0.2)
			}
			cs = append(cs, pmbcCase{"random", p, x, T})
			// Adversarial: drives exactly at θ, at θ's neighbours and at
			// dyadic fractions of θ, so membranes hit θ exactly.
			cs = append(cs, pmbcCase{"adversarial", p, neuronDrive(rng, p, T), T})
			// Integrator with τ = 1: the membrane sums dyadic drives and
			// lands on θ exactly many times.
			q := *p
			for l := range Lanes {
				q.Tau[l], q.Theta[l], q.Rho[l], q.Beta[l] = 1, 1, 0, 0
				if l%2 == 1 {
					q.Rho[l], q.Beta[l] = 0.25, 0.5
				}
			}
			xi := make([]float32, T*Lanes)
			for i := range xi {
				xi[i] = float32(rng.IntN(5)) / 4
			}
			cs = append(cs, pmbcCase{"exact-theta", &q, xi, T})
		}
	}
	T := 16384
	p := pmbcParams(rng, false)
	x := make([]float32, T*Lanes)
	for i := range x {
		x[i] = float32(rng.NormFloat64()*0.5 + 0.15)
	}
	cs = append(cs, pmbcCase{"long", p, x, T})
	if !testing.Short() {
		cs = append(cs, pmbcCase{"long-adversarial", p, neuronDrive(rng, p, T), T})
	}
	return cs
}

func TestPMBCEqualsSequential(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	var passes []int
	for _, k := range variants(t) {
		for _, c := range pmbcCases(rng) {
			want := make([]float32, c.T*Lanes)
			var st NeuronState
			k.Neuron(c.p, c.x, want, nil, &st, c.T)
			opts := []PMBCOptions{{}}
			if k.Name == VariantGeneric {
				// PMBCPass is generic Go in every variant today: vary the
				// chunking on one variant only to keep the test fast.
				opts = append(opts, PMBCOptions{Chunk: 64, Workers: 2}, PMBCOptions{Chunk: 1000, Workers: 3})
				if c.T <= 513 {
					opts = append(opts, PMBCOptions{Chunk: 1})
				}
			}
			for _, o := range opts {
				got := make([]float32, c.T*Lanes)
				n, err := PMBCWith(k, c.p, c.x, got, c.T, o)
				require.NoError(t, err)
				require.Equal(t, want, got, "%s %s T=%d opts=%+v: PMBC spikes differ from the sequential neuron", k.Name, c.name, c.T, o)
				chunk := o.Chunk
				if chunk == 0 {
					chunk = 512
				}
				require.LessOrEqual(t, n, (c.T+chunk-1)/chunk, "passes bounded by the number of chunks")
				require.GreaterOrEqual(t, n, 1)
				if o == (PMBCOptions{}) && k.Name == VariantGeneric {
					passes = append(passes, n)
				}
			}
		}
	}
	sort.Ints(passes)
	t.Logf("PMBC passes (default options, %d cases): min %d median %d max %d", len(passes), passes[0], passes[len(passes)/2], passes[len(passes)-1])
}

func TestPMBCPassDecidesEarliest(t *testing.T) {
	// One pass from an exact start decides at least the first step, and a
	// decided step always matches the sequential neuron.
	rng := rand.New(rand.NewPCG(23, 24))
	p := pmbcParams(rng, false)
	T := 300
	x := neuronDrive(rng, p, T)
	want := make([]float32, T*Lanes)
	var st NeuronState
	generic().Neuron(p, x, want, nil, &st, T)
	s := make([]float32, T*Lanes)
	und := make([]uint16, T)
	for i := range und {
		und[i] = 0xFFFF
	}
	iv := ExactInterval(&NeuronState{})
	// Start from a deliberately wide interval for steps ≥ 100.
	left := PMBCPassGeneric(p, x[:100*Lanes], s[:100*Lanes], und[:100], &iv, 100)
	require.Zero(t, left, "exact start decides the whole chunk")
	var wide NeuronInterval
	for l := range Lanes {
		wide.MLo[l], wide.MHi[l], wide.SHi[l], wide.RHi[l] = -50, 50, 1, 20
	}
	left = PMBCPassGeneric(p, x[100*Lanes:], s[100*Lanes:], und[100:], &wide, T-100)
	require.Positive(t, left)
	for tt := range T {
		for l := range Lanes {
			if und[tt]>>l&1 == 0 {
				require.Equal(t, want[tt*Lanes+l], s[tt*Lanes+l], "decided step t=%d lane=%d", tt, l)
			}
		}
	}
}

func TestPMBCErrorsAndFallback(t *testing.T) {
	k := Default()
	p := &NeuronParams{Reset: ResetHard}
	_, err := PMBC(k, p, make([]float32, 16), make([]float32, 16), 1)
	require.ErrorIs(t, err, ErrPMBCReset)
	p = &NeuronParams{Reset: ResetSoft}
	p.Theta[3] = -1
	_, err = PMBC(k, p, make([]float32, 16), make([]float32, 16), 1)
	require.Error(t, err)
	require.Contains(t, err.Error(), "lane 3")
	_, err = PMBC(k, &NeuronParams{}, make([]float32, 15), make([]float32, 16), 1)
	require.Error(t, err)
	n, err := PMBC(k, &NeuronParams{}, nil, nil, 0)
	require.NoError(t, err)
	require.Zero(t, n)

	// Non-finite drive: falls back to the sequential neuron, same result.
	rng := rand.New(rand.NewPCG(25, 26))
	q := pmbcParams(rng, false)
	T := 50
	x := neuronDrive(rng, q, T)
	x[7*Lanes+3] = float32(math.NaN())
	x[9*Lanes+4] = float32(math.Inf(1))
	want := make([]float32, T*Lanes)
	var st NeuronState
	k.Neuron(q, x, want, nil, &st, T)
	got := make([]float32, T*Lanes)
	n, err = PMBC(k, q, x, got, T)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, want, got)

	// τ > 1 and β > 1 (growing state): sequential fallback, same spikes.
	for _, grow := range []string{"tau", "beta"} {
		g := *q
		if grow == "tau" {
			g.Tau[2] = 1.5
		} else {
			g.Beta[2], g.Rho[2] = 1.5, 0.1
		}
		x := neuronDrive(rng, &g, 300)
		want := make([]float32, 300*Lanes)
		var st NeuronState
		k.Neuron(&g, x, want, nil, &st, 300)
		got := make([]float32, 300*Lanes)
		n, err := PMBCWith(k, &g, x, got, 300, PMBCOptions{Chunk: 32})
		require.NoError(t, err)
		require.Equal(t, 1, n)
		require.Equal(t, want, got, grow)
	}
	_ = slices.Clone(got)
}
