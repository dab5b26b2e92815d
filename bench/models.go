package bench

import "errors"

// modelCases enumerates the whole-model sweeps.
func modelCases(cfg Config) ([]benchCase, error) {
	if len(cfg.Models) == 0 && len(cfg.ModelBytes) == 0 {
		return nil, nil
	}
	return nil, errors.New("bench: model sweeps need the runtime package, which has not landed yet")
}
