package hdf5

import (
	"fmt"
	"sort"
	"strings"
)

// Kind tells a group from a dataset.
type Kind int

// Object kinds.
const (
	KindGroup Kind = iota + 1
	KindDataset
)

// String names the kind.
func (k Kind) String() string {
	switch k {
	case KindGroup:
		return "group"
	case KindDataset:
		return "dataset"
	}
	return "unknown"
}

// Group is an HDF5 group.
type Group struct {
	// Path is the absolute path of the group ("/" for the root).
	Path  string
	f     *File
	addr  uint64
	obj   *object
	links []link
	done  bool
}

type link struct {
	name   string
	addr   uint64
	target string // non-empty for soft/external links (unsupported)
}

// Member is one link of a group.
type Member struct {
	Name string
	Kind Kind
}

func joinPath(parent, name string) string {
	if parent == "/" {
		return "/" + name
	}
	return parent + "/" + name
}

func (g *Group) load() error {
	if g.done {
		return nil
	}
	o, err := g.f.readObject(g.addr, g.Path)
	if err != nil {
		return err
	}
	g.obj = o
	if m, ok := o.find(msgSymbolTable); ok {
		r := g.f.sub(m.data, "symbol table of "+g.Path)
		bt, heap := r.off(), r.off()
		if r.err != nil {
			return r.err
		}
		if err := g.readSymbolTable(bt, heap); err != nil {
			return err
		}
	} else {
		if m, ok := o.find(msgLinkInfo); ok {
			r := g.f.sub(m.data, "link info of "+g.Path)
			r.u8()
			fl := r.u8()
			if fl&1 != 0 {
				r.skip(8)
			}
			fheap := r.off()
			nameIndex := r.off()
			if r.err != nil {
				return r.err
			}
			if fheap != undef {
				if err := g.denseLinks(fheap, nameIndex); err != nil {
					return err
				}
			}
		}
		for _, m := range o.msgs {
			if m.typ != msgLink {
				continue
			}
			l, err := g.f.parseLink(m.data, g.Path)
			if err != nil {
				return err
			}
			g.links = append(g.links, l)
		}
	}
	seen := map[string]bool{}
	for _, l := range g.links {
		if seen[l.name] {
			return fmt.Errorf("hdf5: group %s: duplicate link %q", g.Path, l.name)
		}
		seen[l.name] = true
	}
	g.done = true
	return nil
}

func (f *File) parseLink(b []byte, path string) (link, error) {
	ctx := "link message in " + path
	r := f.sub(b, ctx)
	ver := r.u8()
	if r.err == nil && ver != 1 {
		return link{}, fmt.Errorf("hdf5: %s: unsupported link message version %d", ctx, ver)
	}
	fl := r.u8()
	typ := uint8(0)
	if fl&0x08 != 0 {
		typ = r.u8()
	}
	if fl&0x04 != 0 {
		r.skip(8)
	}
	if fl&0x10 != 0 {
		r.u8()
	}
	nl := r.uN(1 << (fl & 3))
	if r.err != nil {
		return link{}, r.err
	}
	if nl == 0 || nl > uint64(len(b)) {
		return link{}, fmt.Errorf("hdf5: %s: invalid name length %d", ctx, nl)
	}
	name := string(r.bytes(int(nl)))
	l := link{name: name}
	switch typ {
	case 0:
		l.addr = r.off()
	case 1, 64:
		n := int(r.u16())
		l.target = string(r.bytes(n))
		if l.target == "" {
			l.target = "?"
		}
	default:
		return link{}, fmt.Errorf("hdf5: %s: link %q has unsupported type %d", ctx, name, typ)
	}
	if r.err != nil {
		return link{}, r.err
	}
	return l, nil
}

func (g *Group) readSymbolTable(btree, heapAddr uint64) error {
	ctx := "local heap of " + g.Path
	r := g.f.reader(heapAddr, ctx)
	r.sig("HEAP")
	r.u8()
	r.skip(3)
	segSize := r.length()
	r.length()
	segAddr := r.off()
	if r.err != nil {
		return r.err
	}
	hr := g.f.reader(segAddr, ctx)
	if hr.err != nil {
		return hr.err
	}
	if segSize > uint64(len(hr.b)-hr.pos) {
		return fmt.Errorf("hdf5: %s: data segment of %d bytes beyond the file", ctx, segSize)
	}
	heap := hr.b[hr.pos : hr.pos+int(segSize)]
	var nodes []uint64
	if err := g.f.walkBTree(btree, 0, 0, "group B-tree of "+g.Path, map[uint64]bool{}, func(key []byte, child uint64) error {
		nodes = append(nodes, child)
		return nil
	}, 0); err != nil {
		return err
	}
	seenNodes := map[uint64]bool{}
	for _, n := range nodes {
		if seenNodes[n] {
			return fmt.Errorf("hdf5: group B-tree of %s: symbol table node %d listed twice", g.Path, n)
		}
		seenNodes[n] = true
		sctx := "symbol table node of " + g.Path
		sr := g.f.reader(n, sctx)
		sr.sig("SNOD")
		sr.u8()
		sr.u8()
		count := int(sr.u16())
		for i := 0; i < count && sr.err == nil; i++ {
			nameOff := sr.off()
			obj := sr.off()
			cache := sr.u32()
			sr.skip(4 + 16)
			if sr.err != nil {
				break
			}
			if nameOff >= uint64(len(heap)) {
				return fmt.Errorf("hdf5: %s: name offset %d outside the local heap", sctx, nameOff)
			}
			nm := heap[nameOff:]
			end := strings.IndexByte(string(nm), 0)
			if end < 0 {
				return fmt.Errorf("hdf5: %s: unterminated name in the local heap", sctx)
			}
			l := link{name: string(nm[:end]), addr: obj}
			if cache == 2 { // soft link: the target lives in the local heap
				l.target = "soft"
			}
			g.links = append(g.links, l)
		}
		if sr.err != nil {
			return sr.err
		}
	}
	return nil
}

// walkBTree visits the leaf entries of a version 1 B-tree of the given node
// type (0 group, 1 chunk); keySize is the size of one key for type 1 (for
// type 0 the key is a length).
func (f *File) walkBTree(addr uint64, typ uint8, keySize int, ctx string, seen map[uint64]bool, fn func(key []byte, child uint64) error, depth int) error {
	if depth > maxBTreeDepth {
		return fmt.Errorf("hdf5: %s: B-tree deeper than %d", ctx, maxBTreeDepth)
	}
	if seen[addr] {
		return fmt.Errorf("hdf5: %s: B-tree node %d visited twice", ctx, addr)
	}
	seen[addr] = true
	r := f.reader(addr, ctx)
	r.sig("TREE")
	t := r.u8()
	level := r.u8()
	n := int(r.u16())
	r.off()
	r.off()
	if r.err != nil {
		return r.err
	}
	if t != typ {
		return fmt.Errorf("hdf5: %s: B-tree node type %d, want %d", ctx, t, typ)
	}
	if typ == 0 {
		keySize = f.lenSize
	}
	if n*(keySize+f.offSize) > len(r.b)-r.pos {
		return fmt.Errorf("hdf5: %s: B-tree node with %d entries beyond the file", ctx, n)
	}
	for i := 0; i < n; i++ {
		key := r.bytes(keySize)
		child := r.off()
		if r.err != nil {
			return r.err
		}
		if level > 0 {
			if err := f.walkBTree(child, typ, keySize, ctx, seen, fn, depth+1); err != nil {
				return err
			}
			continue
		}
		if err := fn(key, child); err != nil {
			return err
		}
	}
	return nil
}

// Members lists the group's links. Symbol-table groups list names in the
// order HDF5 stores them (sorted by name); link-message groups in header
// order. Each member's kind is read from its object header.
func (g *Group) Members() ([]Member, error) {
	if err := g.load(); err != nil {
		return nil, err
	}
	out := make([]Member, 0, len(g.links))
	for _, l := range g.links {
		k, err := g.kindOf(l)
		if err != nil {
			return nil, err
		}
		out = append(out, Member{Name: l.name, Kind: k})
	}
	return out, nil
}

// Names returns the member names sorted.
func (g *Group) Names() ([]string, error) {
	if err := g.load(); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(g.links))
	for _, l := range g.links {
		out = append(out, l.name)
	}
	sort.Strings(out)
	return out, nil
}

func (g *Group) kindOf(l link) (Kind, error) {
	p := joinPath(g.Path, l.name)
	if l.target != "" {
		return 0, fmt.Errorf("hdf5: %s: soft and external links are not supported", p)
	}
	o, err := g.f.readObject(l.addr, p)
	if err != nil {
		return 0, err
	}
	if _, ok := o.find(msgLayout); ok {
		return KindDataset, nil
	}
	return KindGroup, nil
}

func (g *Group) lookup(name string) (link, error) {
	if err := g.load(); err != nil {
		return link{}, err
	}
	for _, l := range g.links {
		if l.name == name {
			if l.target != "" {
				return l, fmt.Errorf("hdf5: %s: soft and external links are not supported", joinPath(g.Path, name))
			}
			return l, nil
		}
	}
	return link{}, fmt.Errorf("hdf5: %s: no member %q", g.Path, name)
}

// resolve follows a relative path "a/b/c" from g to its parent group and
// last component.
func (g *Group) resolve(path string) (*Group, string, error) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	cur := g
	for _, p := range parts[:len(parts)-1] {
		next, err := cur.child(p)
		if err != nil {
			return nil, "", err
		}
		cur = next
	}
	return cur, parts[len(parts)-1], nil
}

func (g *Group) child(name string) (*Group, error) {
	l, err := g.lookup(name)
	if err != nil {
		return nil, err
	}
	c := &Group{f: g.f, Path: joinPath(g.Path, name), addr: l.addr}
	if err := c.load(); err != nil {
		return nil, err
	}
	if _, ok := c.obj.find(msgLayout); ok {
		return nil, fmt.Errorf("hdf5: %s is a dataset, not a group", c.Path)
	}
	return c, nil
}

// Has reports whether the group has a member with the given name.
func (g *Group) Has(name string) bool {
	_, err := g.lookup(name)
	return err == nil
}

// Group opens a member group by a relative path ("a" or "a/b").
func (g *Group) Group(path string) (*Group, error) {
	parent, last, err := g.resolve(path)
	if err != nil {
		return nil, err
	}
	return parent.child(last)
}

// Dataset opens a member dataset by a relative path.
func (g *Group) Dataset(path string) (*Dataset, error) {
	parent, last, err := g.resolve(path)
	if err != nil {
		return nil, err
	}
	l, err := parent.lookup(last)
	if err != nil {
		return nil, err
	}
	return parent.f.openDataset(l.addr, joinPath(parent.Path, last))
}

// Attrs returns the group's attributes.
func (g *Group) Attrs() ([]*Attribute, error) {
	if err := g.load(); err != nil {
		return nil, err
	}
	return g.f.attributes(g.obj, g.Path)
}

// Walk visits every object below g depth-first (members in stored order),
// calling fn with the absolute path and kind. Each object is visited once
// even if hard links form a cycle.
func (g *Group) Walk(fn func(path string, kind Kind) error) error {
	return g.walk(fn, map[uint64]bool{g.addr: true}, 0)
}

func (g *Group) walk(fn func(string, Kind) error, seen map[uint64]bool, depth int) error {
	if depth > maxBTreeDepth {
		return fmt.Errorf("hdf5: %s: groups nested deeper than %d", g.Path, maxBTreeDepth)
	}
	ms, err := g.Members()
	if err != nil {
		return err
	}
	for i, m := range ms {
		p := joinPath(g.Path, m.Name)
		if seen[g.links[i].addr] {
			continue
		}
		seen[g.links[i].addr] = true
		if err := fn(p, m.Kind); err != nil {
			return err
		}
		if m.Kind == KindGroup {
			c, err := g.child(m.Name)
			if err != nil {
				return err
			}
			if err := c.walk(fn, seen, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}
