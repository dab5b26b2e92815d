// Package bench measures spikessm on the machine it runs on and writes reports that can be
// put side by side across machines, architectures, kernel variants and commits.
//
// It owns: the benchmark sweeps behind `spikessm bench` (kernels × variants × sizes, whole
// models × entry point × batch × sequence length × workers), the llama-bench-like timing
// protocol (warm-up, repetitions, median and median absolute deviation, every raw sample
// kept), the environment record (commit, Go version, OS/arch, CPU model, cpuid features,
// measured clock), the roofline columns, the JSON/CSV/table writers, Compare, and the
// PyTorch peer comparison (bench/peers/torch_peer.py, driven by RunPeers).
//
// It must not: change what it measures (it only calls the public kernel, format and runtime
// APIs), assert timings in unit tests, or invent numbers — a peer that cannot run (no
// /usr/bin/python3, no torch) is reported as skipped with the reason.
package bench
