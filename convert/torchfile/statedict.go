package torchfile

import (
	"errors"
	"fmt"
	"strings"
)

// StateDict finds the model's parameters: the "state_dict" of a Lightning
// checkpoint, the "model" or "net" entry of a training-script wrapper, a bare
// state dict, or the parameters and buffers of a TorchScript module (keys
// like "conv1.weight"). keys lists the names in file order. Each returned
// tensor has Name set to its key.
func (c *Checkpoint) StateDict() (sd map[string]*Tensor, keys []string, err error) {
	switch r := c.Root.(type) {
	case map[string]any:
		for _, k := range []string{"state_dict", "model", "net", "model_state_dict", "state"} {
			if m, ok := r[k].(map[string]any); ok && hasTensors(m) {
				return c.collect(m)
			}
		}
		if hasTensors(r) {
			return c.collect(r)
		}
		return nil, nil, fmt.Errorf("torchfile: %s: no state dict found (top-level keys %v)", c.Path, c.Keys(r))
	case *Object:
		sd = map[string]*Tensor{}
		c.walkModule(r, "", sd, &keys, map[*Object]bool{})
		if len(keys) == 0 {
			return nil, nil, fmt.Errorf("torchfile: %s: module object %s.%s holds no tensors", c.Path, r.Module, r.Name)
		}
		return sd, keys, nil
	case *Tensor:
		return nil, nil, fmt.Errorf("torchfile: %s: the file holds a single tensor, not a state dict", c.Path)
	}
	return nil, nil, fmt.Errorf("torchfile: %s: root object is %T, not a state dict", c.Path, c.Root)
}

func hasTensors(m map[string]any) bool {
	for _, v := range m {
		if _, ok := v.(*Tensor); ok {
			return true
		}
	}
	return false
}

func (c *Checkpoint) collect(m map[string]any) (map[string]*Tensor, []string, error) {
	sd := map[string]*Tensor{}
	var keys []string
	for _, k := range c.Keys(m) {
		t, ok := m[k].(*Tensor)
		if !ok {
			continue // e.g. _extra_state entries
		}
		named := *t
		named.Name = k
		sd[k] = &named
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, nil, errors.New("state dict holds no tensors")
	}
	return sd, keys, nil
}

// walkModule collects the tensors of a pickled (TorchScript) module tree:
// attributes that are tensors, recursing into attributes that are modules.
func (c *Checkpoint) walkModule(o *Object, prefix string, sd map[string]*Tensor, keys *[]string, seen map[*Object]bool) {
	if seen[o] || len(seen) > 100000 {
		return
	}
	seen[o] = true
	st, ok := o.State.(map[string]any)
	if !ok {
		return
	}
	for _, k := range c.Keys(st) {
		if strings.HasPrefix(k, "_") {
			continue
		}
		switch v := st[k].(type) {
		case *Tensor:
			named := *v
			named.Name = prefix + k
			sd[named.Name] = &named
			*keys = append(*keys, named.Name)
		case *Object:
			c.walkModule(v, prefix+k+".", sd, keys, seen)
		}
	}
}

// HyperParameters returns the Lightning "hyper_parameters" entry as plain Go
// values (map[string]any, []any, string, int64, float64, bool, nil), decoding
// a pickled OmegaConf DictConfig or an argparse Namespace. ok is false when
// the checkpoint has none.
func (c *Checkpoint) HyperParameters() (map[string]any, bool) {
	r, ok := c.Root.(map[string]any)
	if !ok {
		return nil, false
	}
	hp, ok := r["hyper_parameters"]
	if !ok || hp == nil {
		return nil, false
	}
	m, ok := c.plain(hp, 0).(map[string]any)
	return m, ok
}

// LightningVersion returns the "pytorch-lightning_version" entry, or "".
func (c *Checkpoint) LightningVersion() string {
	if r, ok := c.Root.(map[string]any); ok {
		if v, ok := r["pytorch-lightning_version"].(string); ok {
			return v
		}
	}
	return ""
}

// plain converts OmegaConf containers and nodes, and Namespace objects, into
// plain values.
func (c *Checkpoint) plain(v any, depth int) any {
	if depth > maxDepth {
		return nil
	}
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		keys := c.Keys(x)
		for _, k := range keys {
			out[k] = c.plain(x[k], depth+1)
		}
		c.keys[ptrOf(out)] = keys
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = c.plain(e, depth+1)
		}
		return out
	case *Object:
		st, _ := x.State.(map[string]any)
		switch {
		case strings.HasPrefix(x.Module, "omegaconf.") && (x.Name == "DictConfig" || x.Name == "ListConfig"):
			if st == nil {
				return nil
			}
			return c.plain(st["_content"], depth+1)
		case strings.HasPrefix(x.Module, "omegaconf.nodes"):
			if st == nil {
				return nil
			}
			return c.plain(st["_val"], depth+1)
		case x.Module == "argparse" && x.Name == "Namespace":
			if st == nil {
				return map[string]any{}
			}
			return c.plain(st, depth+1)
		case x.DictItems != nil: // dict subclass (e.g. Lightning's AttributeDict)
			return c.plain(x.DictItems, depth+1)
		case x.Items != nil: // list subclass
			return c.plain(x.Items, depth+1)
		case len(x.Args) == 1 && x.State == nil:
			return c.plain(x.Args[0], depth+1)
		}
		return x
	}
	return v
}
