// Package convert turns PyTorch checkpoints of spiking and non-spiking state
// space models into the spikessm model format (package format).
//
// It owns the architecture mappers: state-spaces/s4 standalone S4D
// (s4d_example), S4Block with SSMKernelDiag (s4block), SpikingSSMs / SDN
// (spikingssm), binary S4D (binary_s4d) and the project's own SPikE-SSM
// reference (spikessm_ref). Each mapper discretises the continuous SSM
// parameters once, in float64, stores the discrete a, b, c, d the S4D op
// needs, emits a "sequence" graph (and a "step" graph when the model is
// causal) and records the source conventions in metadata.
//
// It must not: execute pickled code (reading is torchfile's job), guess a
// hyper-parameter whose upstream default differs between code paths, drop a
// checkpoint tensor silently, or run models (that is package runtime's job).
package convert
