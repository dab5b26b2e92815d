package torchfile

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/nlpodyssey/gopickle/pickle"
	"github.com/nlpodyssey/gopickle/types"
)

// Object is an instance (or, with IsClass, a reference) of a Python class the
// reader does not interpret. Nothing of the class is executed: its
// constructor arguments and pickled state are recorded as plain values.
type Object struct {
	Module, Name string
	// IsClass is true when the pickle referenced the class itself (a GLOBAL
	// used as a value), not an instance.
	IsClass bool
	// Args are the constructor (REDUCE / NEWOBJ) arguments.
	Args []any
	// State is what BUILD (__setstate__) received, usually a map[string]any.
	State any
	// Items holds values appended (APPEND) and DictItems key/values set
	// (SETITEM) on the object, for list and dict subclasses.
	Items     []any
	DictItems map[string]any
}

// Checkpoint is a decoded PyTorch file.
type Checkpoint struct {
	// Path is the file name given to Load or Parse (used in error messages).
	Path string
	// Container is "zip", "legacy" or "torchscript".
	Container string
	// Root is the decoded object tree: map[string]any, []any, *Tensor,
	// string, int64, *big.Int (outside int64), float64, bool, []byte, nil,
	// *Object.
	Root any

	keys map[uintptr][]string
}

func ptrOf(m map[string]any) uintptr { return reflect.ValueOf(m).Pointer() }

// Keys returns the insertion order of the keys of a map decoded from this
// checkpoint (sorted keys for a map it did not produce).
func (c *Checkpoint) Keys(m map[string]any) []string {
	if m == nil {
		return nil
	}
	if k, ok := c.keys[reflect.ValueOf(m).Pointer()]; ok && len(k) == len(m) {
		return k
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Load reads and decodes the PyTorch file at path.
func Load(path string) (*Checkpoint, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("torchfile: %w", err)
	}
	return Parse(data, path)
}

// Parse decodes a PyTorch file held in memory. name is used in errors.
// The container is detected from the content, never from the name.
func Parse(data []byte, name string) (c *Checkpoint, err error) {
	defer func() {
		if r := recover(); r != nil {
			c, err = nil, fmt.Errorf("torchfile: %s: malformed file (%v)", name, r)
		}
	}()
	l := &loader{name: name, size: len(data), budget: 4*int64(len(data)) + 1<<20}
	var root any
	var container string
	switch {
	case len(data) >= 4 && string(data[:4]) == "PK\x03\x04":
		root, container, err = l.loadZip(data)
	case len(data) >= 262 && string(data[257:262]) == "ustar":
		return nil, fmt.Errorf("torchfile: %s: legacy tar checkpoint (PyTorch < 0.1.10) is not supported", name)
	default:
		root, err = l.loadLegacy(data)
		container = "legacy"
	}
	if err != nil {
		return nil, fmt.Errorf("torchfile: %s: %w", name, err)
	}
	if err := l.settle(); err != nil {
		return nil, fmt.Errorf("torchfile: %s: %w", name, err)
	}
	c = &Checkpoint{Path: name, Container: container, keys: map[uintptr][]string{}}
	d := &decoder{c: c, memo: map[any]any{}, budget: 4 * (int64(len(data)) + 1024)}
	c.Root, err = d.value(root, 0)
	if err != nil {
		return nil, fmt.Errorf("torchfile: %s: %w", name, err)
	}
	return c, nil
}

type loader struct {
	name    string
	size    int
	budget  int64 // bytes of tensor data we may still materialise
	pending []*pendingTensor
}

func (l *loader) unpickle(data []byte, persistent func(any) (any, error)) (any, int, error) {
	end, err := scanPickle(data)
	if err != nil {
		return nil, 0, err
	}
	u := pickle.NewUnpickler(bytes.NewReader(data[:end]))
	u.FindClass = l.findClass
	u.PersistentLoad = persistent
	v, err := u.Load()
	if err != nil {
		return nil, 0, fmt.Errorf("unpickling: %w", err)
	}
	return v, end, nil
}

func (l *loader) findClass(module, name string) (any, error) {
	if module == "torch" {
		if sc, ok := storageClasses[name]; ok {
			return &sc, nil
		}
	}
	if module == "torch.storage" && name == "UntypedStorage" {
		sc := storageClasses["UntypedStorage"]
		return &sc, nil
	}
	switch module + "." + name {
	case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor":
		return funcCall(l.rebuildTensor), nil
	case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state":
		return funcCall(func(args ...any) (any, error) {
			if len(args) < 1 {
				return nil, errors.New("_rebuild_parameter: no arguments")
			}
			return args[0], nil
		}), nil
	case "__builtin__.dict", "builtins.dict", "collections.defaultdict":
		return &builtinType{class{module, name}, funcCall(func(args ...any) (any, error) {
			if module == "collections" {
				return types.NewDict(), nil // default_factory is irrelevant to data
			}
			return newDict(args...)
		})}, nil
	case "__builtin__.list", "builtins.list":
		return &builtinType{class{module, name}, newList}, nil
	case "__builtin__.long", "__builtin__.int", "builtins.int":
		return &builtinType{class{module, name}, toInt}, nil
	case "__builtin__.float", "builtins.float":
		return &builtinType{class{module, name}, toFloat}, nil
	case "_codecs.encode":
		return funcCall(codecsEncode), nil
	case "__builtin__.set", "builtins.set", "__builtin__.frozenset", "builtins.frozenset", "__builtin__.tuple", "builtins.tuple":
		return &builtinType{class{module, name}, newList}, nil
	}
	return &class{module, name}, nil
}

// rebuildTensor implements torch._utils._rebuild_tensor_v2 (storage,
// storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
// and _rebuild_tensor (storage, storage_offset, size, stride). The data is
// gathered later, once every storage has its bytes.
func (l *loader) rebuildTensor(args ...any) (any, error) {
	if len(args) < 4 {
		return nil, fmt.Errorf("_rebuild_tensor: %d arguments, want at least 4", len(args))
	}
	st, ok := args[0].(*storage)
	if !ok {
		return nil, fmt.Errorf("_rebuild_tensor: storage argument is %T", args[0])
	}
	off, ok := args[1].(int)
	if !ok || off < 0 {
		return nil, fmt.Errorf("_rebuild_tensor: bad storage offset %v", args[1])
	}
	shape, err := intTuple(args[2])
	if err != nil {
		return nil, fmt.Errorf("_rebuild_tensor: size: %w", err)
	}
	stride, err := intTuple(args[3])
	if err != nil {
		return nil, fmt.Errorf("_rebuild_tensor: stride: %w", err)
	}
	if len(stride) != len(shape) {
		return nil, fmt.Errorf("_rebuild_tensor: size %v and stride %v differ in rank", shape, stride)
	}
	numel := int64(1)
	for _, d := range shape {
		if d < 0 {
			return nil, fmt.Errorf("_rebuild_tensor: negative size %v", shape)
		}
		numel *= int64(d)
		if numel > int64(l.size)*8+1024 {
			return nil, fmt.Errorf("_rebuild_tensor: size %v is too large for a %d-byte file", shape, l.size)
		}
	}
	for _, s := range stride {
		if s < 0 {
			return nil, fmt.Errorf("_rebuild_tensor: negative stride %v", stride)
		}
	}
	l.budget -= numel * int64(st.cls.esize)
	if l.budget < 0 {
		return nil, fmt.Errorf("tensors would need more than 4x the file size in memory")
	}
	t := &Tensor{DType: st.cls.dtype, Shape: shape}
	l.pending = append(l.pending, &pendingTensor{t: t, st: st, offset: off, stride: stride})
	return t, nil
}

func intTuple(v any) ([]int, error) {
	var items []any
	switch t := v.(type) {
	case *types.Tuple:
		items = *t
	case *types.List:
		items = *t
	default:
		return nil, fmt.Errorf("want a tuple of ints, got %T", v)
	}
	out := make([]int, len(items))
	for i, it := range items {
		n, ok := it.(int)
		if !ok {
			return nil, fmt.Errorf("want a tuple of ints, element %d is %T", i, it)
		}
		out[i] = n
	}
	return out, nil
}

// settle gathers the data of every rebuilt tensor.
func (l *loader) settle() error {
	for _, p := range l.pending {
		raw, err := p.st.bytes()
		if err != nil {
			return err
		}
		data, err := gather(p.st.cls.dtype, raw, p.st.cls.esize, p.t.NumElements(), p.t.Shape, p.stride, p.offset)
		if err != nil {
			return fmt.Errorf("tensor on storage %q: %w", p.st.key, err)
		}
		p.t.Data = data
	}
	return nil
}

func (l *loader) storageFromID(id any, legacy bool) (*storage, *storage, int, error) {
	tup, ok := id.(*types.Tuple)
	if !ok || tup.Len() == 0 {
		return nil, nil, 0, fmt.Errorf("persistent id is %T, want a tuple", id)
	}
	kind, _ := tup.Get(0).(string)
	if kind != "storage" {
		return nil, nil, 0, fmt.Errorf("persistent id kind %q, want \"storage\"", kind)
	}
	if tup.Len() < 5 {
		return nil, nil, 0, fmt.Errorf("storage persistent id has %d fields, want 5", tup.Len())
	}
	sc, ok1 := tup.Get(1).(*storageClass)
	key, ok2 := tup.Get(2).(string)
	numel, ok3 := tup.Get(4).(int)
	if !ok1 || !ok2 || !ok3 {
		return nil, nil, 0, fmt.Errorf("storage persistent id has unexpected field types (%T, %T, %T)", tup.Get(1), tup.Get(2), tup.Get(4))
	}
	if numel < 0 || int64(numel)*int64(sc.esize) > int64(l.size) {
		return nil, nil, 0, fmt.Errorf("storage %q claims %d elements of %d bytes, more than the %d-byte file", key, numel, sc.esize, l.size)
	}
	st := &storage{cls: *sc, key: key, numel: numel}
	if !legacy || tup.Len() < 6 || tup.Get(5) == nil {
		return st, nil, 0, nil
	}
	vm, ok := tup.Get(5).(*types.Tuple)
	if !ok || vm.Len() != 3 {
		return nil, nil, 0, fmt.Errorf("storage %q: bad view metadata", key)
	}
	vkey, ok1 := vm.Get(0).(string)
	voff, ok2 := vm.Get(1).(int)
	vsize, ok3 := vm.Get(2).(int)
	if !ok1 || !ok2 || !ok3 || voff < 0 || vsize < 0 || voff+vsize > numel {
		return nil, nil, 0, fmt.Errorf("storage %q: bad view metadata", key)
	}
	view := &storage{cls: *sc, key: vkey, numel: vsize, offset: voff}
	return st, view, 0, nil
}

func (l *loader) loadZip(data []byte) (any, string, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, "", fmt.Errorf("zip: %w", err)
	}
	files := make(map[string]*zip.File, len(zr.File))
	var pkl *zip.File
	for _, f := range zr.File {
		files[f.Name] = f
		if f.Name == "data.pkl" || strings.HasSuffix(f.Name, "/data.pkl") {
			if pkl == nil || len(f.Name) < len(pkl.Name) {
				pkl = f
			}
		}
	}
	if pkl == nil {
		return nil, "", errors.New("zip archive has no data.pkl: not a torch.save file")
	}
	prefix := path.Dir(pkl.Name)
	join := func(p string) string {
		if prefix == "." {
			return p
		}
		return prefix + "/" + p
	}
	container := "zip"
	if _, ok := files[join("constants.pkl")]; ok {
		container = "torchscript"
	}
	readEntry := func(f *zip.File, limit int64) ([]byte, error) {
		if f.UncompressedSize64 > uint64(limit) {
			return nil, fmt.Errorf("zip entry %s is %d bytes, more than allowed (%d)", f.Name, f.UncompressedSize64, limit)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("zip entry %s: %w", f.Name, err)
		}
		defer rc.Close()
		b, err := io.ReadAll(io.LimitReader(rc, limit+1))
		if err != nil {
			return nil, fmt.Errorf("zip entry %s: %w", f.Name, err)
		}
		if int64(len(b)) > limit {
			return nil, fmt.Errorf("zip entry %s is larger than allowed (%d)", f.Name, limit)
		}
		return b, nil
	}
	pdata, err := readEntry(pkl, int64(len(data)))
	if err != nil {
		return nil, "", err
	}
	storages := map[string]*storage{}
	rawBudget := 2*int64(len(data)) + 1<<20 // overlapping zip entries cannot multiply memory
	persistent := func(id any) (any, error) {
		st, _, _, err := l.storageFromID(id, false)
		if err != nil {
			return nil, err
		}
		if old, ok := storages[st.key]; ok {
			return old, nil
		}
		f, ok := files[join("data/"+st.key)]
		if !ok {
			return nil, fmt.Errorf("storage %q: no zip entry %s", st.key, join("data/"+st.key))
		}
		want := int64(st.numel) * int64(st.cls.esize)
		raw, err := readEntry(f, int64(len(data)))
		if err != nil {
			return nil, err
		}
		rawBudget -= int64(len(raw))
		if rawBudget < 0 {
			return nil, fmt.Errorf("storages add up to more than twice the %d-byte file", len(data))
		}
		if int64(len(raw)) < want {
			return nil, fmt.Errorf("storage %q: entry has %d bytes, want %d (%d × %s)", st.key, len(raw), want, st.numel, st.cls.dtype)
		}
		st.raw, st.loaded = raw[:want], true
		storages[st.key] = st
		return st, nil
	}
	root, _, err := l.unpickle(pdata, persistent)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", pkl.Name, err)
	}
	return root, container, nil
}

func (l *loader) loadLegacy(data []byte) (any, error) {
	pos := 0
	next := func(persistent func(any) (any, error)) (any, error) {
		v, n, err := l.unpickle(data[pos:], persistent)
		if err != nil {
			return nil, err
		}
		pos += n
		return v, nil
	}
	magic, err := next(nil)
	if err != nil {
		return nil, fmt.Errorf("not a PyTorch file (neither a zip archive nor a legacy torch.save pickle): %w", err)
	}
	if m, ok := magic.(*big.Int); !ok || m.Text(16) != "1950a86a20f9469cfc6c" {
		return nil, errors.New("not a PyTorch file: a pickle without the torch.save magic number")
	}
	proto, err := next(nil)
	if err != nil {
		return nil, fmt.Errorf("legacy protocol version: %w", err)
	}
	if p, ok := proto.(int); !ok || p != 1001 {
		return nil, fmt.Errorf("legacy protocol version %v, want 1001", proto)
	}
	if _, err := next(nil); err != nil { // sys_info
		return nil, fmt.Errorf("legacy sys info: %w", err)
	}
	storages := map[string]*storage{}
	persistent := func(id any) (any, error) {
		if tup, ok := id.(*types.Tuple); ok && tup.Len() >= 2 {
			if k, _ := tup.Get(0).(string); k == "module" {
				return tup.Get(1), nil
			}
		}
		st, view, _, err := l.storageFromID(id, true)
		if err != nil {
			return nil, err
		}
		root, ok := storages[st.key]
		if !ok {
			storages[st.key] = st
			root = st
		}
		if view != nil {
			view.parent = root
			return view, nil
		}
		return root, nil
	}
	root, err := next(persistent)
	if err != nil {
		return nil, err
	}
	keysV, err := next(nil)
	if err != nil {
		return nil, fmt.Errorf("legacy storage keys: %w", err)
	}
	keys, ok := keysV.(*types.List)
	if !ok {
		return nil, fmt.Errorf("legacy storage keys: got %T, want a list", keysV)
	}
	for _, kv := range *keys {
		key, ok := kv.(string)
		if !ok {
			return nil, fmt.Errorf("legacy storage key is %T", kv)
		}
		st, ok := storages[key]
		if !ok {
			return nil, fmt.Errorf("legacy storage %q is listed but never referenced", key)
		}
		if len(data)-pos < 8 {
			return nil, fmt.Errorf("legacy storage %q: truncated before its size", key)
		}
		n := binary.LittleEndian.Uint64(data[pos:])
		pos += 8
		want := n * uint64(st.cls.esize)
		if n > uint64(len(data)) || want > uint64(len(data)-pos) {
			return nil, fmt.Errorf("legacy storage %q: %d elements of %d bytes, but only %d bytes remain", key, n, st.cls.esize, len(data)-pos)
		}
		if int(n) < st.numel {
			return nil, fmt.Errorf("legacy storage %q: %d elements stored, %d declared", key, n, st.numel)
		}
		st.raw, st.loaded = data[pos:pos+int(want)], true
		st.numel = int(n)
		pos += int(want)
	}
	return root, nil
}

// decoder turns gopickle values into the plain Go tree of Checkpoint.Root.
type decoder struct {
	c      *Checkpoint
	memo   map[any]any
	budget int64 // node budget against pathological sharing
}

const maxDepth = 1000

func (d *decoder) value(v any, depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("object tree nested deeper than %d levels", maxDepth)
	}
	d.budget--
	if d.budget < 0 {
		return nil, errors.New("object tree has more nodes than the file size allows")
	}
	switch x := v.(type) {
	case nil, bool, string, float64, []byte, *Tensor:
		return x, nil
	case int:
		return int64(x), nil
	case *big.Int:
		if x.IsInt64() {
			return x.Int64(), nil
		}
		return x, nil
	case *types.ByteArray:
		return []byte(*x), nil
	}
	if m, ok := d.memo[v]; ok {
		return m, nil
	}
	switch x := v.(type) {
	case *types.Tuple:
		return d.slice(v, *x, depth)
	case *types.List:
		return d.slice(v, *x, depth)
	case *types.Dict:
		m := map[string]any{}
		d.memo[v] = m
		keys := make([]string, 0, len(*x))
		for _, e := range *x {
			if err := d.setKey(m, &keys, e.Key, e.Value, depth); err != nil {
				return nil, err
			}
		}
		d.c.keys[reflect.ValueOf(m).Pointer()] = keys
		return m, nil
	case *types.OrderedDict:
		m := map[string]any{}
		d.memo[v] = m
		keys := make([]string, 0, x.Len())
		for e := x.List.Front(); e != nil; e = e.Next() {
			ent := e.Value.(*types.OrderedDictEntry)
			if err := d.setKey(m, &keys, ent.Key, ent.Value, depth); err != nil {
				return nil, err
			}
		}
		d.c.keys[reflect.ValueOf(m).Pointer()] = keys
		return m, nil
	case *types.Set:
		out := make([]any, 0, len(*x))
		for k := range *x {
			out = append(out, k)
		}
		return d.slice(v, out, depth)
	case *types.FrozenSet:
		out := make([]any, 0, len(*x))
		for k := range *x {
			out = append(out, k)
		}
		return d.slice(v, out, depth)
	case *storage:
		return &Object{Module: "torch", Name: "Storage", Args: []any{x.cls.dtype, x.key, int64(x.numel)}}, nil
	case *storageClass:
		return &Object{Module: "torch", Name: "Storage", IsClass: true, Args: []any{x.dtype}}, nil
	case *class:
		return &Object{Module: x.module, Name: x.name, IsClass: true}, nil
	case *builtinType:
		return &Object{Module: x.module, Name: x.name, IsClass: true}, nil
	case funcCall:
		return &Object{Module: "?", Name: "function", IsClass: true}, nil
	case *pyObject:
		o := &Object{Module: x.cls.module, Name: x.cls.name}
		d.memo[v] = o
		var err error
		if o.Args, err = d.list(x.args, depth); err != nil {
			return nil, err
		}
		if x.hasState {
			if o.State, err = d.value(x.state, depth+1); err != nil {
				return nil, err
			}
		}
		if len(x.attrs) > 0 {
			// slot state: merge into a map state
			sm, _ := o.State.(map[string]any)
			if sm == nil {
				sm = map[string]any{}
				if o.State != nil {
					sm["__state__"] = o.State
				}
				o.State = sm
			}
			for _, e := range x.attrs {
				val, err := d.value(e.Value, depth+1)
				if err != nil {
					return nil, err
				}
				sm[fmt.Sprint(e.Key)] = val
			}
		}
		if o.Items, err = d.list(x.listItems, depth); err != nil {
			return nil, err
		}
		if len(x.dictItems) > 0 {
			o.DictItems = map[string]any{}
			keys := []string{}
			for _, e := range x.dictItems {
				if err := d.setKey(o.DictItems, &keys, e.Key, e.Value, depth); err != nil {
					return nil, err
				}
			}
			d.c.keys[reflect.ValueOf(o.DictItems).Pointer()] = keys
		}
		return o, nil
	case *types.GenericObject:
		o := &Object{Module: x.Class.Module, Name: x.Class.Name}
		d.memo[v] = o
		var err error
		o.Args, err = d.list(x.ConstructorArgs, depth)
		return o, err
	case *types.GenericClass:
		return &Object{Module: x.Module, Name: x.Name, IsClass: true}, nil
	}
	return &Object{Module: "?", Name: fmt.Sprintf("%T", v)}, nil
}

func (d *decoder) slice(key any, items []any, depth int) (any, error) {
	out := make([]any, len(items))
	d.memo[key] = out
	for i, it := range items {
		v, err := d.value(it, depth+1)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func (d *decoder) list(items []any, depth int) ([]any, error) {
	if len(items) == 0 {
		return nil, nil
	}
	out := make([]any, len(items))
	for i, it := range items {
		v, err := d.value(it, depth+1)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func (d *decoder) setKey(m map[string]any, keys *[]string, k, v any, depth int) error {
	var ks string
	switch kk := k.(type) {
	case string:
		ks = kk
	case int:
		ks = strconv.Itoa(kk)
	case bool, float64, nil:
		ks = fmt.Sprint(kk)
	default:
		dk, err := d.value(k, depth+1)
		if err != nil {
			return err
		}
		if o, ok := dk.(*Object); ok {
			ks = o.Module + "." + o.Name
		} else {
			ks = fmt.Sprint(dk)
		}
	}
	val, err := d.value(v, depth+1)
	if err != nil {
		return err
	}
	if _, dup := m[ks]; !dup {
		*keys = append(*keys, ks)
	}
	m[ks] = val
	return nil
}
