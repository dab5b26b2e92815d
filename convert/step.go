package convert

import "github.com/spikessm/spikessm/format"

// deriveStep builds the step graph of a causal model. The format package's
// DeriveStep is not available yet, so no step entry point is written; the
// runtime runs the sequence graph.
func deriveStep(seq format.Graph) (*format.Graph, error) {
	_ = seq
	return nil, nil
}
