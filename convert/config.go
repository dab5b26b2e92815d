package convert

import (
	"fmt"
	"os"

	"gopkg.in/yaml.v3"
)

// loadYAML reads a Hydra config.yaml into plain values (ints as int64).
func loadYAML(path string) (map[string]any, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := yaml.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("not valid YAML: %w", err)
	}
	if m == nil {
		return nil, fmt.Errorf("empty config")
	}
	return normalizeYAML(m).(map[string]any), nil
}

func normalizeYAML(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeYAML(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = normalizeYAML(e)
		}
		return x
	case int:
		return int64(x)
	}
	return v
}
