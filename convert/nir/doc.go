// Package nir converts NIR graphs (the Neuromorphic Intermediate
// Representation, stored as HDF5 .nir files) and snnTorch Leaky / Synaptic /
// RLeaky / RSynaptic state dicts into spikessm models (.ssm, format.Builder).
//
// It owns the mapping from NIR's continuous-time primitives (Input, Output,
// Affine, Linear, Scale, Threshold, LIF, CubaLIF, IF, LI, I, CubaLI, nested
// NIRGraphs, recurrent edges) to the discrete-time ops of format/OPS.md, with
// an explicit time step (NIR stores none) and an explicit discretisation
// (forward Euler, as NIR's reference simulators norse and snnTorch do, or
// zero-order hold). It records every convention in the model metadata.
//
// It must not execute anything, guess a dt, or silently drop a node: an
// unsupported primitive, an unresolved edge, a cycle that is not a
// neuron→Affine/Linear→neuron recurrence, or inconsistent shapes fail the
// conversion with an error naming the node. HDF5 parsing is convert/hdf5's;
// PyTorch unpickling is convert/torchfile's; the model file is format's.
package nir
