// Package torchfile reads PyTorch files — torch.save zip archives, legacy
// non-zip files, TorchScript archives and the checkpoint wrappers built on
// them (PyTorch Lightning .ckpt, {'model': sd}, {'net': sd}, bare state dicts)
// — without executing any pickled code.
//
// It owns: container detection by content, a bounded pickle pre-scan, a
// permissive class resolver that records unknown classes as *Object values,
// tensor reconstruction from storages (real and complex dtypes), and the
// decoding of pickled OmegaConf configs into plain Go values.
//
// It must not: import or run anything named by a pickle, allocate more than
// a small multiple of the input size, panic on hostile input, or know about
// model architectures (that is package convert's job).
package torchfile
