// Package runtime executes spikessm model files: it opens a model through package format,
// validates it, infers shapes, plans memory, selects the compute kernels of the root package
// (by CPU feature, or the variant given with WithKernels) and runs every op of format/OPS.md,
// either over whole sequences (Model.Run, the `sequence` entry point) or step by step in a
// streaming Session (the `step` entry point).
//
// What it owns: graph compilation and execution, sessions and their snapshots, run statistics.
// What it must not do: parse checkpoints (package convert), define or change the file format
// or the op semantics (package format, format/OPS.md), or contain SIMD code (root package).
//
// # Concurrency
//
// A *Model is immutable after loading and safe for concurrent use: any number of goroutines
// may call Run, RunWith and NewSession at the same time. Each Run uses up to the configured
// number of workers (WithWorkers, default GOMAXPROCS) as goroutines started for that Run and
// finished when it returns: a batch is shared as sub-batches, one per worker; a single long
// sequence (one Run of some 10^5 input elements × channels or more) is shared op by op with
// helper goroutines that poll for the next op while the Run lasts (team.go: waking a parked
// goroutine costs ~150 µs on a virtual CPU). Nothing spins or waits between calls. Close must be called only
// after every Run and Session has finished; it releases the file mapping when the model was
// opened with Load.
//
// A *Session is confined to one goroutine at a time (no internal locking). Step runs on the
// calling goroutine, allocates nothing after its first call, and returns a slice owned by the
// session that is overwritten by the next Step.
//
// # Determinism
//
// Work is split over batch rows and 16-channel blocks (and fixed 64-row chunks for row-wise
// ops); every output element is computed by the same sequence of float operations whatever the
// worker count and the position of a sample in the batch, so outputs are bit-identical for any
// WithWorkers value and any batch position. For causal models, Session.Step over a sequence
// reproduces Run's outputs bit for bit with the same kernel variant.
//
// # Execution
//
// A plain Run of several sequences runs the whole graph on one sequence at a time (rows.go), so
// that a sequence's activations stay in L1 from op to op; statistics, traces, captures and
// injections run each op over the whole batch. S4D layers run the scan kernel per (batch row,
// 16-channel block) with parameters packed once at load, in place on the (L, H) row for full
// blocks (ScanStrided) and through a tile otherwise; a bidirectional layer adds a reverse scan
// of the anti-causal part (sequence mode only, so such models have no Session). SDNNeuron runs the SDN kernel per block (FMA chains
// in the assembly variants, within spikessm.SDNTolerance of generic). In plain Runs an S4D →
// ThresholdScale → SDNNeuron chain whose intermediates nobody reads runs fused, per block in
// cache, with bit-identical results, and so do S4D → GELU/Heaviside and Linear → GLU [→ Add
// [→ LayerNorm]] (RunWith with captures, injections or Unfused runs the ops one by one). SpikingNeuron uses the sequential kernel or PMBC, whichever measured faster for the
// layer and sequence length on first use (both give the same spikes). A Linear that reads spikes
// uses spike-sparse accumulation when the observed firing rate of the run is below a crossover
// calibrated at load by timing both paths on the layer's shape; both paths are checked to give
// bit-identical results with the selected kernels, otherwise the layer always runs dense.
//
// Tensors are float32. Embedding ids are passed as float32 integer values; ArgMax returns the
// index as a float32 value.
//
// # Bad input
//
// Inputs of the wrong rank or feature count are rejected with an error. Inputs containing NaN
// or ±Inf are rejected (not propagated) with an error naming the position; so are Embedding ids
// that are not integers in range. A model whose format validation fails, an unknown op, an op
// version newer than this runtime knows, or weights of the wrong shape are rejected at load
// with an error naming the node and tensor.
package runtime
