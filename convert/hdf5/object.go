package hdf5

import (
	"fmt"
)

// header message types used by this reader.
const (
	msgNil          = 0x0000
	msgDataspace    = 0x0001
	msgLinkInfo     = 0x0002
	msgDatatype     = 0x0003
	msgFillOld      = 0x0004
	msgFill         = 0x0005
	msgLink         = 0x0006
	msgExternal     = 0x0007
	msgLayout       = 0x0008
	msgGroupInfo    = 0x000A
	msgFilters      = 0x000B
	msgAttribute    = 0x000C
	msgContinuation = 0x0010
	msgSymbolTable  = 0x0011
	msgAttrInfo     = 0x0015
)

type message struct {
	typ   uint16
	flags uint8
	data  []byte
}

// object is a parsed object header.
type object struct {
	addr uint64
	msgs []message
}

func (o *object) find(typ uint16) (message, bool) {
	for _, m := range o.msgs {
		if m.typ == typ {
			return m, true
		}
	}
	return message{}, false
}

// readObject parses the object header at addr, following continuation
// blocks (bounded, each visited once).
func (f *File) readObject(addr uint64, path string) (*object, error) {
	ctx := "object header of " + path
	r := f.reader(addr, ctx)
	if r.err != nil {
		return nil, r.err
	}
	o := &object{addr: addr}
	type block struct{ addr, length uint64 }
	var pending []block
	seen := map[uint64]bool{}
	if r.pos+4 <= len(r.b) && string(r.b[r.pos:r.pos+4]) == "OHDR" {
		start := r.pos
		r.skip(4)
		ver := r.u8()
		if ver != 2 {
			return nil, fmt.Errorf("hdf5: %s: unsupported object header version %d", ctx, ver)
		}
		flags := r.u8()
		if flags&0x20 != 0 {
			r.skip(16)
		}
		if flags&0x10 != 0 {
			r.skip(4)
		}
		size := r.uN(1 << (flags & 3))
		if r.err != nil {
			return nil, r.err
		}
		if size > uint64(len(r.b)-r.pos) {
			return nil, fmt.Errorf("hdf5: %s: chunk size %d beyond the file", ctx, size)
		}
		end := r.pos + int(size)
		if err := f.checksum(r.b[start:end], r.b, end, ctx); err != nil {
			return nil, err
		}
		if err := f.parseV2Messages(o, r.b[r.pos:end], flags, ctx, func(a, l uint64) { pending = append(pending, block{a, l}) }); err != nil {
			return nil, err
		}
		for len(pending) > 0 {
			b := pending[0]
			pending = pending[1:]
			if seen[b.addr] || len(seen) >= maxContinuations {
				return nil, fmt.Errorf("hdf5: %s: continuation loop or too many continuation blocks", ctx)
			}
			seen[b.addr] = true
			cr := f.reader(b.addr, ctx)
			if cr.err != nil {
				return nil, cr.err
			}
			if b.length < 8 || b.length > uint64(len(cr.b)-cr.pos) {
				return nil, fmt.Errorf("hdf5: %s: continuation block of %d bytes is invalid", ctx, b.length)
			}
			blk := cr.b[cr.pos : cr.pos+int(b.length)]
			if string(blk[:4]) != "OCHK" {
				return nil, fmt.Errorf("hdf5: %s: continuation block lacks OCHK signature", ctx)
			}
			if err := f.checksum(blk[:len(blk)-4], blk, len(blk)-4, ctx); err != nil {
				return nil, err
			}
			if err := f.parseV2Messages(o, blk[4:len(blk)-4], flags, ctx, func(a, l uint64) { pending = append(pending, block{a, l}) }); err != nil {
				return nil, err
			}
		}
		return o, nil
	}
	// Version 1.
	ver := r.u8()
	if r.err != nil {
		return nil, r.err
	}
	if ver != 1 {
		return nil, fmt.Errorf("hdf5: %s: unsupported object header version %d", ctx, ver)
	}
	r.skip(1)
	nmsgs := int(r.u16())
	r.u32() // reference count
	size := uint64(r.u32())
	r.skip(4) // header is padded to 16 bytes
	if r.err != nil {
		return nil, r.err
	}
	pending = append(pending, block{uint64(r.pos) - f.base, size})
	count := 0
	for len(pending) > 0 {
		b := pending[0]
		pending = pending[1:]
		if seen[b.addr] || len(seen) >= maxContinuations {
			return nil, fmt.Errorf("hdf5: %s: continuation loop or too many continuation blocks", ctx)
		}
		seen[b.addr] = true
		br := f.reader(b.addr, ctx)
		if br.err != nil {
			return nil, br.err
		}
		if b.length > uint64(len(br.b)-br.pos) {
			return nil, fmt.Errorf("hdf5: %s: header block of %d bytes beyond the file", ctx, b.length)
		}
		mr := f.sub(br.b[br.pos:br.pos+int(b.length)], ctx)
		for mr.pos+8 <= len(mr.b) && count < nmsgs {
			typ := mr.u16()
			sz := int(mr.u16())
			fl := mr.u8()
			mr.skip(3)
			data := mr.bytes(sz)
			if mr.err != nil {
				return nil, mr.err
			}
			count++
			if typ == msgContinuation {
				cr := f.sub(data, ctx)
				a, l := cr.off(), cr.length()
				if cr.err != nil {
					return nil, cr.err
				}
				pending = append(pending, block{a, l})
				continue
			}
			o.msgs = append(o.msgs, message{typ: typ, flags: fl, data: data})
			mr.align8(0)
			if mr.err != nil {
				// padding beyond the block end: the block is finished
				mr.err = nil
				break
			}
		}
	}
	return o, nil
}

func (f *File) parseV2Messages(o *object, b []byte, hflags uint8, ctx string, cont func(a, l uint64)) error {
	r := f.sub(b, ctx)
	hdr := 4
	if hflags&0x04 != 0 {
		hdr = 6
	}
	for len(r.b)-r.pos >= hdr {
		typ := uint16(r.u8())
		sz := int(r.u16())
		fl := r.u8()
		if hflags&0x04 != 0 {
			r.u16()
		}
		data := r.bytes(sz)
		if r.err != nil {
			return r.err
		}
		if typ == msgContinuation {
			cr := f.sub(data, ctx)
			a, l := cr.off(), cr.length()
			if cr.err != nil {
				return cr.err
			}
			cont(a, l)
			continue
		}
		o.msgs = append(o.msgs, message{typ: typ, flags: fl, data: data})
	}
	return nil
}

// checksum verifies the lookup3 checksum stored at b[at:at+4] over data.
func (f *File) checksum(data, b []byte, at int, ctx string) error {
	r := f.sub(b, ctx)
	r.pos = at
	want := r.u32()
	if r.err != nil {
		return r.err
	}
	if jenkinsLookup3(data, 0) != want {
		return fmt.Errorf("hdf5: %s: metadata checksum mismatch", ctx)
	}
	return nil
}
