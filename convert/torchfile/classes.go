package torchfile

import (
	"fmt"
	"math/big"

	"github.com/nlpodyssey/gopickle/types"
)

// storageClass is a torch.<X>Storage global: it names a dtype.
type storageClass struct {
	dtype string
	esize int
}

var storageClasses = map[string]storageClass{
	"FloatStorage":         {"float32", 4},
	"DoubleStorage":        {"float64", 8},
	"HalfStorage":          {"float16", 2},
	"BFloat16Storage":      {"bfloat16", 2},
	"LongStorage":          {"int64", 8},
	"IntStorage":           {"int32", 4},
	"ShortStorage":         {"int16", 2},
	"CharStorage":          {"int8", 1},
	"ByteStorage":          {"uint8", 1},
	"BoolStorage":          {"bool", 1},
	"ComplexFloatStorage":  {"complex64", 8},
	"ComplexDoubleStorage": {"complex128", 16},
	"UntypedStorage":       {"uint8", 1},
}

// storage is one persistent storage record: dtype, element count and raw
// little-endian bytes (filled when the container's data is read).
type storage struct {
	cls    storageClass
	key    string
	numel  int
	raw    []byte
	loaded bool
	// view of a parent storage (legacy files only)
	parent *storage
	offset int
}

func (s *storage) bytes() ([]byte, error) {
	if s.parent != nil {
		pb, err := s.parent.bytes()
		if err != nil {
			return nil, err
		}
		lo := s.offset * s.cls.esize
		hi := lo + s.numel*s.cls.esize
		if s.offset < 0 || lo > len(pb) || hi > len(pb) || hi < lo {
			return nil, fmt.Errorf("storage view %q [%d:+%d] outside its parent (%d elements)", s.key, s.offset, s.numel, s.parent.numel)
		}
		return pb[lo:hi], nil
	}
	if !s.loaded {
		return nil, fmt.Errorf("storage %q has no data", s.key)
	}
	return s.raw, nil
}

// tensorRecipe is a pending torch._utils._rebuild_tensor_v2 call.
type pendingTensor struct {
	t       *Tensor
	st      *storage
	offset  int
	stride  []int
	settled bool
}

// class is a recorded global that is neither a torch storage nor a rebuild
// function. Calling or instantiating it records an object; nothing runs.
type class struct {
	module, name string
}

func (c *class) Call(args ...interface{}) (interface{}, error) {
	return &pyObject{cls: c, args: args}, nil
}

func (c *class) PyNew(args ...interface{}) (interface{}, error) {
	return &pyObject{cls: c, args: args}, nil
}

// pyObject records an instance of an unknown class.
type pyObject struct {
	cls       *class
	args      []interface{}
	state     interface{}
	hasState  bool
	listItems []interface{}
	dictItems []types.DictEntry
	attrs     []types.DictEntry
}

func (o *pyObject) PySetState(state interface{}) error {
	if o.hasState {
		// a second BUILD: keep both by wrapping
		o.state = types.NewTupleFromSlice([]interface{}{o.state, state})
		return nil
	}
	o.state, o.hasState = state, true
	return nil
}

func (o *pyObject) Set(key, value interface{}) {
	o.dictItems = append(o.dictItems, types.DictEntry{Key: key, Value: value})
}
func (o *pyObject) Append(v interface{}) { o.listItems = append(o.listItems, v) }
func (o *pyObject) PySetAttr(key string, value interface{}) error {
	o.attrs = append(o.attrs, types.DictEntry{Key: key, Value: value})
	return nil
}

// funcCall is a callable global with a known, harmless meaning.
type funcCall func(args ...interface{}) (interface{}, error)

func (f funcCall) Call(args ...interface{}) (interface{}, error) { return f(args...) }

func (f funcCall) PyNew(args ...interface{}) (interface{}, error) { return f(args...) }

// builtinType is a Python builtin type referenced as a value (dict, list, …):
// it is both a callable constructor and a recorded class.
type builtinType struct {
	class
	ctor funcCall
}

func (b *builtinType) Call(args ...interface{}) (interface{}, error)  { return b.ctor(args...) }
func (b *builtinType) PyNew(args ...interface{}) (interface{}, error) { return b.ctor(args...) }

func newDict(args ...interface{}) (interface{}, error) {
	d := types.NewDict()
	if len(args) == 1 {
		if src, ok := args[0].(*types.Dict); ok {
			for _, e := range *src {
				d.Set(e.Key, e.Value)
			}
		}
	}
	return d, nil
}

func newList(args ...interface{}) (interface{}, error) {
	l := types.NewList()
	if len(args) == 1 {
		switch src := args[0].(type) {
		case *types.List:
			for _, v := range *src {
				l.Append(v)
			}
		case *types.Tuple:
			for _, v := range *src {
				l.Append(v)
			}
		}
	}
	return l, nil
}

func toInt(args ...interface{}) (interface{}, error) {
	if len(args) == 0 {
		return 0, nil
	}
	switch v := args[0].(type) {
	case int, *big.Int:
		return v, nil
	case bool:
		if v {
			return 1, nil
		}
		return 0, nil
	case float64:
		return int(v), nil
	}
	return nil, fmt.Errorf("int(): unsupported argument %T", args[0])
}

func toFloat(args ...interface{}) (interface{}, error) {
	if len(args) == 0 {
		return 0.0, nil
	}
	switch v := args[0].(type) {
	case int:
		return float64(v), nil
	case float64:
		return v, nil
	}
	return nil, fmt.Errorf("float(): unsupported argument %T", args[0])
}

// codecsEncode implements _codecs.encode(str, 'latin1'), which protocol 2
// uses to pickle bytes objects.
func codecsEncode(args ...interface{}) (interface{}, error) {
	if len(args) < 1 {
		return nil, fmt.Errorf("_codecs.encode: no arguments")
	}
	s, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("_codecs.encode: argument is %T", args[0])
	}
	enc := "utf-8"
	if len(args) > 1 {
		if e, ok := args[1].(string); ok {
			enc = e
		}
	}
	if enc == "latin1" || enc == "latin-1" {
		out := make([]byte, 0, len(s))
		for _, r := range s {
			if r > 255 {
				return nil, fmt.Errorf("_codecs.encode: rune %U not latin-1", r)
			}
			out = append(out, byte(r))
		}
		return out, nil
	}
	return []byte(s), nil
}
