"""Tiny pure-Python safetensors reader/writer (no `safetensors` package needed).

Layout written (the same conventions as testdata/reference): u64 little-endian header length,
JSON header padded with spaces to a multiple of 8, then little-endian data; tensors ordered
by element size (8-byte dtypes first), then by name, so every tensor is aligned to its
element size.  `__metadata__` values are strings.
"""

import json
import struct

import numpy as np

_DT = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32,
       "U8": np.uint8, "F16": np.float16}
_NAME = {np.dtype(v).str: k for k, v in _DT.items()}


def write(path, tensors, metadata=None):
    """Write {name: numpy array (or torch tensor)} to path.  Returns the bytes written."""
    arrs = {}
    for k, v in tensors.items():
        if hasattr(v, "detach"):
            v = v.detach().cpu().numpy()
        a = np.ascontiguousarray(v)
        a = a.astype(a.dtype.newbyteorder("<"), copy=False)
        if a.dtype.str not in _NAME:
            raise ValueError(f"{path}: tensor {k}: unsupported dtype {a.dtype}")
        arrs[k] = a
    order = sorted(arrs, key=lambda k: (-arrs[k].dtype.itemsize, k))
    header, off, blobs = {}, 0, []
    for k in order:
        a = arrs[k]
        b = a.tobytes()
        header[k] = {"dtype": _NAME[a.dtype.str], "shape": list(a.shape),
                     "data_offsets": [off, off + len(b)]}
        off += len(b)
        blobs.append(b)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    data = struct.pack("<Q", len(h)) + h + b"".join(blobs)
    with open(path, "wb") as f:
        f.write(data)
    return len(data)


def read(path):
    """Read a safetensors file: returns ({name: numpy array}, metadata dict)."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: truncated (no header length)")
    n = struct.unpack("<Q", raw[:8])[0]
    if 8 + n > len(raw):
        raise ValueError(f"{path}: header length {n} exceeds file size {len(raw)}")
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    base = 8 + n
    out = {}
    for k, info in header.items():
        dt = np.dtype(_DT[info["dtype"]]).newbyteorder("<")
        a, b = info["data_offsets"]
        if base + b > len(raw):
            raise ValueError(f"{path}: tensor {k} runs past the end of the file")
        out[k] = np.frombuffer(raw[base + a:base + b], dtype=dt).reshape(info["shape"])
    return out, meta
