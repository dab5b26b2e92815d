package convert

import "github.com/spikessm/spikessm/format"

// deriveStep builds the step graph of a causal model with the state shapes
// taken from the builder's tensors.
func (c *conv) deriveStep(seq format.Graph) (*format.Graph, error) {
	g, err := c.b.DeriveStep(seq)
	if err != nil {
		return nil, err
	}
	return &g, nil
}
