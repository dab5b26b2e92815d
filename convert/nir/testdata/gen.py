#!/usr/bin/python3
"""Generates the synthetic test inputs of convert/nir (run: /usr/bin/python3 gen.py here).

* synthetic_all.nir: a NIR graph in the on-disk layout nir.write uses (vlen-string
  /version, /node/type, /node/edges, /node/nodes/<name>/<param>), covering the primitives
  the public fixtures lack: Flatten, Scale, LI, CubaLI, Threshold, IF, I, a graph with two
  inputs summed into one node, and v_reset. Parameters are float64 like NIR >= 0.2 writes.
* snntorch_leaky.pt: a snnTorch-style state dict (plain torch.save of tensors with the
  key names snnTorch's Leaky / RLeaky register): a per-channel learnable beta, subtract
  and none resets, graded_spikes_factor != 1, an RLeaky all-to-all recurrence with bias.
  (snnTorch itself is not installed; only the key names and buffer dtypes matter.)
The lif_norse_gzip.nir file beside them is written by ../../hdf5/testdata/gen.py.
"""
import numpy as np
import h5py
import torch

rng = np.random.default_rng(5)
vstr = h5py.string_dtype('utf-8')


def node(g, name, typ, **params):
    n = g.create_group(name)
    n.create_dataset('type', data=typ, dtype=vstr)
    for k, v in params.items():
        n.create_dataset(k, data=v)


with h5py.File('synthetic_all.nir', 'w') as f:
    f.create_dataset('version', data='0.2.0', dtype=vstr)
    root = f.create_group('node')
    root.create_dataset('type', data='NIRGraph', dtype=vstr)
    nodes = root.create_group('nodes')
    node(nodes, 'input', 'Input', shape=np.array([3], dtype=np.int64))
    node(nodes, 'flat', 'Flatten', start_dim=np.int64(0), end_dim=np.int64(-1), input_type=np.array([3], dtype=np.int64))
    node(nodes, 'scale', 'Scale', scale=np.array([2.0, -1.0, 0.5]))
    node(nodes, 'li', 'LI', tau=np.array([1e-3, 2e-3, 5e-4]), r=np.array([1.0, 2.0, 0.5]), v_leak=np.array([0.0, 0.1, -0.2]))
    node(nodes, 'fc', 'Affine', weight=rng.standard_normal((4, 3)).astype(np.float32), bias=rng.standard_normal(4).astype(np.float32))
    node(nodes, 'cubali', 'CubaLI', tau_syn=np.full(4, 3e-4), tau_mem=np.full(4, 1e-3), r=np.full(4, 5.0),
         v_leak=np.zeros(4), w_in=np.full(4, 3.0))
    node(nodes, 'thr', 'Threshold', threshold=np.array([0.05, -0.05, 0.0, 0.1]))
    node(nodes, 'lin', 'Linear', weight=rng.standard_normal((2, 4)))
    node(nodes, 'skip', 'Linear', weight=rng.standard_normal((2, 3)))
    node(nodes, 'if', 'IF', r=np.array([3000.0, 5000.0]), v_threshold=np.array([0.5, 0.4]), v_reset=np.array([-0.1, 0.0]))
    node(nodes, 'integ', 'I', r=np.array([100.0, 200.0]))
    node(nodes, 'output', 'Output', shape=np.array([2], dtype=np.int64))
    edges = [('input', 'flat'), ('flat', 'scale'), ('scale', 'li'), ('li', 'fc'), ('fc', 'cubali'), ('cubali', 'thr'),
             ('thr', 'lin'), ('input', 'skip'), ('lin', 'if'), ('skip', 'if'), ('if', 'integ'), ('integ', 'output')]
    root.create_dataset('edges', data=np.array(edges, dtype=object), dtype=vstr)

sd = {
    'fc1.weight': torch.tensor(rng.standard_normal((5, 4)), dtype=torch.float32),
    'fc1.bias': torch.tensor(rng.standard_normal(5), dtype=torch.float32),
    'lif1.threshold': torch.tensor(0.8),
    'lif1.graded_spikes_factor': torch.tensor(0.5),
    'lif1.reset_mechanism_val': torch.tensor(0),
    'lif1.beta': torch.tensor([0.9, 0.8, 1.2, 0.5, -0.1]),  # learn_beta per channel; snnTorch clamps to [0, 1]
    'fc2.weight': torch.tensor(rng.standard_normal((3, 5)), dtype=torch.float32),
    'lif2.threshold': torch.tensor(1.0),
    'lif2.graded_spikes_factor': torch.tensor(1.0),
    'lif2.reset_mechanism_val': torch.tensor(2),
    'lif2.beta': torch.tensor(0.7),
    'lif2.recurrent.weight': torch.tensor(rng.standard_normal((3, 3)), dtype=torch.float32),
    'lif2.recurrent.bias': torch.tensor(rng.standard_normal(3), dtype=torch.float32),
}
torch.save(sd, 'snntorch_leaky.pt')
