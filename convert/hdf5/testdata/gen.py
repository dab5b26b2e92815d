#!/usr/bin/python3
"""Generates the HDF5 test files of convert/hdf5 and their h5py-read goldens.

Run with Debian's python3-h5py from this directory:  /usr/bin/python3 gen.py
It writes small .h5 files covering layouts the NIR fixtures do not (gzip-chunked as
nir.write does since 2026, libver='latest' superblock v3 / object header v2 / link
messages, compact datasets, nested groups, attributes, fixed and vlen strings), then reads
EVERY .h5 here and every NIR fixture back with h5py and stores what h5py reads as JSON
goldens (<file>.json). The Go tests compare their reader against these goldens.
"""
import glob, hashlib, json, os
import numpy as np
import h5py

rng = np.random.default_rng(20261123)
vstr = h5py.string_dtype('utf-8')


def nir_like(g, gzip):
    """A NIR-shaped graph: vlen string scalars, mixed f32/f64 arrays, i64 shapes."""
    kw = dict(compression='gzip', compression_opts=4) if gzip else {}
    g.create_dataset('version', data='1.0.0', dtype=vstr)
    n = g.create_group('node')
    n.create_dataset('type', data='NIRGraph', dtype=vstr)
    n.create_dataset('edges', data=np.array([['input', 'fc'], ['fc', 'lif'], ['lif', 'output']], dtype=object), dtype=vstr)
    nodes = n.create_group('nodes')
    for name, typ in [('input', 'Input'), ('output', 'Output')]:
        x = nodes.create_group(name)
        x.create_dataset('type', data=typ, dtype=vstr)
        x.create_dataset('shape', data=np.array([5], dtype=np.int64), **kw)
    fc = nodes.create_group('fc')
    fc.create_dataset('type', data='Affine', dtype=vstr)
    fc.create_dataset('weight', data=rng.standard_normal((5, 5)).astype(np.float32), **kw)
    fc.create_dataset('bias', data=rng.standard_normal(5).astype(np.float32), **kw)
    lif = nodes.create_group('lif')
    lif.create_dataset('type', data='LIF', dtype=vstr)
    lif.create_dataset('tau', data=np.full(5, 2.5e-3), **kw)
    lif.create_dataset('r', data=np.ones(5), **kw)
    lif.create_dataset('v_leak', data=np.zeros(5, np.float32), **kw)
    lif.create_dataset('v_threshold', data=np.float64(0.1))  # 0-d stays contiguous


with h5py.File('gzip_chunked.h5', 'w') as f:
    nir_like(f, True)
    f.create_dataset('multi/f32', data=rng.standard_normal((37, 13)).astype(np.float32), chunks=(8, 5), compression='gzip', compression_opts=4)
    f.create_dataset('multi/i64', data=np.arange(-50, 50, dtype=np.int64).reshape(4, 5, 5), chunks=(3, 2, 4), compression='gzip')
    f.create_dataset('multi/shuffle_f64', data=rng.standard_normal(1000), chunks=(128,), compression='gzip', shuffle=True, fletcher32=True)
    f.create_dataset('multi/plain_chunked_i32', data=np.arange(30, dtype=np.int32).reshape(6, 5), chunks=(4, 4))
    f.create_dataset('multi/zeros_unwritten', shape=(10,), dtype=np.float32, chunks=(4,))
    # 250 chunks: more than one v1 B-tree node (2K = 64 entries), so a level-1 tree
    f.create_dataset('multi/many_chunks_u8', data=(np.arange(500) % 251).astype(np.uint8), chunks=(2,))
    partly = f.create_dataset('multi/fill_partly_written', shape=(10, 3), dtype=np.float64, chunks=(4, 3), fillvalue=-1.5)
    partly[0:4] = 7.0  # only the first chunk is written; the rest reads as the fill value
    f.create_dataset('multi/fill_contiguous_unwritten', shape=(3,), dtype=np.int64, fillvalue=42)

with h5py.File('latest.h5', 'w', libver='latest') as f:
    nir_like(f, True)
    f.attrs['title'] = 'latest'
    f.attrs['answer'] = np.int64(42)
    f.attrs['floats'] = np.array([1.5, -2.25], dtype=np.float64)
    f.create_dataset('more/contiguous_f64', data=rng.standard_normal((3, 4)))
    f.create_dataset('more/multi_chunk_f32', data=rng.standard_normal((40, 6)).astype(np.float32), chunks=(16, 6), compression='gzip')
    f.create_dataset('more/multi_chunk_plain', data=np.arange(40, dtype=np.int64), chunks=(16,))
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_layout(h5py.h5d.COMPACT)
    arr = np.arange(12, dtype=np.int32).reshape(3, 4)
    sp = h5py.h5s.create_simple(arr.shape)
    ds = h5py.h5d.create(f['more'].id, b'compact_i32', h5py.h5t.STD_I32LE, sp, dcpl=dcpl)
    ds.write(h5py.h5s.ALL, h5py.h5s.ALL, arr)

with h5py.File('compact_nested.h5', 'w') as f:
    g = f.create_group('a/b/c/d')
    g.attrs['fixed'] = np.bytes_(b'fixed-len')
    g.attrs['vlen'] = 'variable'
    g.attrs['i32s'] = np.array([1, -2, 3], dtype=np.int32)
    g.attrs['f32'] = np.float32(0.1)
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_layout(h5py.h5d.COMPACT)
    arr = np.array([[0.5, -1.0], [3.25, 1e-30]], dtype=np.float64)
    sp = h5py.h5s.create_simple(arr.shape)
    ds = h5py.h5d.create(g.id, b'compact_f64', h5py.h5t.IEEE_F64LE, sp, dcpl=dcpl)
    ds.write(h5py.h5s.ALL, h5py.h5s.ALL, arr)
    f['a/b/c/d'].create_dataset('u8', data=np.array([0, 1, 200, 255], dtype=np.uint8))
    f['a/b'].create_dataset('f16', data=np.array([1.0, -2.5, 65504, 6e-8], dtype=np.float16))
    f['a'].create_dataset('fixed_strings', data=np.array([b'ab', b'cde', b''], dtype='S3'))
    f['a'].create_dataset('vlen_strings', data=np.array(['x', 'yy', 'zzz\u00e9'], dtype=object), dtype=vstr)
    f.create_dataset('scalar_i64', data=np.int64(-7))
    f['a/b/c/d/u8'].attrs['note'] = 'attr on a dataset'
    for i in range(20):  # enough links to need more than one symbol table node
        f.create_group('many/g%02d' % i)

# Tiny files: small seeds keep the fuzzer fast (Go's fuzzer slows down on large inputs).
with h5py.File('tiny_v0.h5', 'w') as f:
    f.create_dataset('t', data='LIF', dtype=vstr)
    f.create_dataset('g/w', data=np.array([[1.5, -2.0], [0.25, 8.0]], dtype=np.float32), chunks=(1, 2), compression='gzip', shuffle=True)
    f['g'].attrs['a'] = np.int64(3)
with h5py.File('tiny_latest.h5', 'w', libver='latest', userblock_size=512) as f:  # superblock after a user block
    f.create_dataset('t', data='LIF', dtype=vstr)
    f.create_dataset('g/w', data=np.array([[1.5, -2.0], [0.25, 8.0]], dtype=np.float32), chunks=(1, 2), compression='gzip')
    f['g'].attrs['a'] = np.int64(3)

# Dense storage (libver latest): more than 8 links in a group and more than 8 attributes
# on an object move them into a fractal heap indexed by a version 2 B-tree.
with h5py.File('dense_latest.h5', 'w', libver='latest') as f:
    nir_like(f, False)
    g = f.create_group('many_links')
    for i in range(30):
        g.create_dataset('d%02d' % i, data=np.array([i, -i], dtype=np.int64))
    for i in range(12):
        g.attrs['attr%02d' % i] = np.float64(i) / 4
    g.attrs['long_string'] = 'x' * 300
    deep = f.create_group('deep_btree')  # enough links for a v2 B-tree of depth >= 1
    for i in range(120):
        deep.create_group('n%03d' % i)
    d = g['d03']
    for i in range(10):
        d.attrs['a%d' % i] = np.int32(i * 7)

# Features the reader refuses, each with an error naming it (no golden: unsupported.hdf).
with h5py.File('unsupported.hdf', 'w') as f:
    f.create_dataset('compound', data=np.array([(1, 2.0)], dtype=[('a', '<i4'), ('b', '<f8')]))
    f.create_dataset('enum_bool', data=np.array([True, False]))
    f.create_dataset('big_endian', data=np.array([1.0, 2.0], dtype='>f8'))
    f.create_dataset('lzf', data=np.arange(100, dtype=np.float32), compression='lzf')
    f.create_dataset('ok', data=np.arange(3, dtype=np.float32))
    f['soft'] = h5py.SoftLink('/ok')

# Superblock version 2 (libver v108): object header v2, link messages, new-style groups.
with h5py.File('v108.h5', 'w', libver=('v108', 'v108')) as f:
    nir_like(f, True)
    f.create_dataset('extra/i32_chunked', data=np.arange(-20, 20, dtype=np.int32).reshape(8, 5), chunks=(3, 2), compression='gzip')

# The NIR fixture lif_norse.nir re-written as nir.write does since NIR 18d5bb0
# (gzip level 4 on every array dataset), for convert/nir.
os.makedirs('../../nir/testdata', exist_ok=True)
with h5py.File('../../../testdata/checkpoints/nir/lif_norse.nir', 'r') as src, h5py.File('../../nir/testdata/lif_norse_gzip.nir', 'w') as dst:
    def copy(s, d):
        for k, v in s.items():
            if isinstance(v, h5py.Group):
                copy(v, d.create_group(k))
            elif v.dtype == object:
                d.create_dataset(k, data=v[()], dtype=vstr)
            elif v.shape == ():
                d.create_dataset(k, data=v[()])
            else:
                d.create_dataset(k, data=v[()], compression='gzip', compression_opts=4)
    copy(src, dst)


def layout(ds):
    return {0: 'compact', 1: 'contiguous', 2: 'chunked'}[ds.id.get_create_plist().get_layout()]


def enc(v):
    if isinstance(v, bytes):
        return v.decode('utf-8')
    if isinstance(v, np.ndarray):
        if v.dtype.kind in 'SO':
            return [enc(x) for x in v.ravel()]
        return [float(x) if v.dtype.kind == 'f' else int(x) for x in v.ravel()]
    if isinstance(v, (np.floating, float)):
        return [float(v)]
    if isinstance(v, (np.integer, int)):
        return [int(v)]
    if isinstance(v, str):
        return [v]
    raise TypeError(type(v))


def golden(path, out):
    res = {'datasets': {}, 'groups': {}}
    with h5py.File(path, 'r') as f:
        res['superblock'] = f.id.get_create_plist().get_version()[0]

        def attrs(o):
            a = {}
            for k in o.attrs:
                v = o.attrs[k]
                vv = enc(v)
                a[k] = vv if isinstance(vv, list) else [vv]
            return a
        res['groups']['/'] = {'attrs': attrs(f)}

        def visit(name, o):
            if isinstance(o, h5py.Group):
                res['groups']['/' + name] = {'attrs': attrs(o)}
                return
            v = o[()]
            if o.dtype.kind in 'SO':
                kind = 'string'
            elif o.dtype.kind == 'f':
                kind = 'float'
            else:
                kind = 'int'
            vals = enc(v)
            if not isinstance(vals, list):
                vals = [vals]
            digest = None
            if len(vals) > 64 and kind != 'string':
                # big arrays: keep the first 16 values and a sha256 of all values as
                # little-endian float64 (float) or int64 (int), in row-major order
                wide = np.ascontiguousarray(np.asarray(v).ravel().astype('<f8' if kind == 'float' else '<i8'))
                digest = hashlib.sha256(wide.tobytes()).hexdigest()
                vals = vals[:16]
            res['datasets']['/' + name] = {'sha256': digest, 'dtype': str(o.dtype) if o.dtype.kind != 'O' else 'vlen-string',
                                          'kind': kind, 'shape': list(o.shape), 'layout': layout(o),
                                          'chunks': list(o.chunks) if o.chunks else None,
                                          'compression': o.compression, 'values': vals, 'attrs': attrs(o)}
        f.visititems(visit)
    with open(out, 'w') as fp:
        json.dump(res, fp, indent=1, sort_keys=True)


for p in sorted(glob.glob('*.h5')):
    golden(p, p + '.json')
for p in sorted(glob.glob('../../../testdata/checkpoints/nir/*.nir')):
    golden(p, os.path.basename(p) + '.json')
golden('../../nir/testdata/lif_norse_gzip.nir', 'lif_norse_gzip.nir.json')
