package bench

import "github.com/spikessm/spikessm/runtime"

// prepareStep builds a streaming session of B rows and returns an op that resets it and
// feeds L steps (one op = one whole sequence per row, so ms/seq is comparable with the
// sequence mode).
func prepareStep(src modelSource, B, L, F, W int) (func() error, func(), error) {
	m, err := src.load(runtime.WithWorkers(W))
	if err != nil {
		return nil, nil, err
	}
	s, err := m.NewSession(B)
	if err != nil {
		m.Close()
		return nil, nil, err
	}
	in := modelInput(B, L, F)
	per := B * F
	// modelInput is (B, L, F); a step takes (B, F): gather each step's rows once.
	steps := make([][]float32, L)
	for t := 0; t < L; t++ {
		x := make([]float32, per)
		for b := 0; b < B; b++ {
			copy(x[b*F:(b+1)*F], in.Data[(b*L+t)*F:(b*L+t+1)*F])
		}
		steps[t] = x
	}
	return func() error {
		s.Reset()
		for t := 0; t < L; t++ {
			if _, err := s.Step(steps[t]); err != nil {
				return err
			}
		}
		return nil
	}, func() { m.Close() }, nil
}
