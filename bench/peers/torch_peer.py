#!/usr/bin/python3
"""PyTorch CPU peer for `spikessm bench`: the reference models, re-implemented, verified, timed.

Run with Debian's interpreter (it has python3-torch 1.13):

    /usr/bin/python3 bench/peers/torch_peer.py [--root testdata/reference]
        [--cases s4d_example,binary_s4d,...] [--batches 1,16] [--threads 1,0]
        [--reps 10] [--warmup 2] [--min-time 0.2]

What it does, per case:

1. Builds the model from the project's own re-implementation of the equations in
   testdata/reference/README.md (the upstream code is not available here): `s4d_example`
   (S4D, FFT convolution, GELU, Conv1d+GLU, postnorm LayerNorm), `binary_s4d` (the same
   with a Heaviside spike y >= 0 for the GELU), `s4block_diag` (prenorm S4Block with
   SSMKernelDiag: softplus dt, shared B, Im A = -A_imag; final LayerNorm; sum/L pool),
   `spikingssm_sdn` and
   `spikingssm_sdn_long` (bidirectional SS4D, threshold division, SDN surrogate neuron,
   GLU, prenorm LayerNorm or the postnorm quirk that normalises nothing). Cases
   `spikessm_ref_L64` / `spikessm_ref_L1024` use the project's own SPikE-SSM reference
   (tools/torchref, imported, not re-implemented) and its export in
   testdata/spikessm_ref/L64 (model.pt, hparams.json, io.safetensors).
2. Loads the checkpoint from the fixture directory with torch.load (Lightning checkpoints
   pickle omegaconf objects; they are loaded as inert placeholders, only the state dict is
   used).
3. VERIFIES that it reproduces the fixture logits (io.safetensors `logits`, 16 samples)
   within the README tolerance; a case that does not is reported with verified=false and
   is not timed.
4. Times model.forward (torch.inference_mode, float32) on the fixture input, at each batch
   size (the first B samples of `input`, repeated if B > 16) and each thread count (0 means
   torch's default), llama-bench style: warm-up calls, then `reps` samples, each sample at
   least `min-time` seconds of repeated calls; median and MAD.

Prints one JSON object on stdout (see bench/README.md). Exit status 0 when every requested
case verified, 1 when a case failed verification, 2 on usage errors or when torch is absent
(the JSON then says so in "error"; no numbers are made up).
"""

import argparse
import json
import math
import os
import platform
import statistics
import struct
import sys
import time
import types

try:
    import torch
    import torch.nn.functional as F
except Exception as e:  # pragma: no cover - reported, never faked
    print(json.dumps({"peer": "pytorch", "available": False, "error": "torch not importable: %s" % e}))
    sys.exit(2)

TOLERANCE = {  # max |logits - fixture logits|, testdata/reference/README.md "Tolerances"
    "s4d_example": 1e-4,
    "s4block_diag": 1e-4,
    "binary_s4d": 1e-4,
    "spikingssm_sdn": 1e-4,
    "spikingssm_sdn_long": 5e-2,
    # spikessm_ref_L64 / _L1024: spiking, judged like spikingssm_sdn(_long)
    "spikessm_ref_L64": 1e-4,
    "spikessm_ref_L1024": 5e-2,
}


# ---------------------------------------------------------------------------- safetensors

_ST_DTYPES = {
    "F32": (torch.float32, 4),
    "F64": (torch.float64, 8),
    "I64": (torch.int64, 8),
    "I32": (torch.int32, 4),
    "F16": (torch.float16, 2),
    "BF16": (torch.bfloat16, 2),
    "U8": (torch.uint8, 1),
}


def read_safetensors(path):
    """Minimal safetensors reader: returns ({name: tensor}, metadata). Checks every bound."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError("%s: truncated (no header length)" % path)
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise ValueError("%s: header length %d exceeds file" % (path, n))
    header = json.loads(data[8:8 + n].decode("utf-8"))
    base = 8 + n
    out = {}
    meta = header.pop("__metadata__", {}) or {}
    for name, info in header.items():
        dt = info["dtype"]
        if dt not in _ST_DTYPES:
            raise ValueError("%s: tensor %s has unsupported dtype %s" % (path, name, dt))
        tdt, size = _ST_DTYPES[dt]
        lo, hi = info["data_offsets"]
        shape = info["shape"]
        count = 1
        for d in shape:
            count *= d
        if lo > hi or base + hi > len(data) or (hi - lo) != count * size:
            raise ValueError("%s: tensor %s has bad offsets %s for shape %s" % (path, name, (lo, hi), shape))
        buf = bytearray(data[base + lo:base + hi])
        t = torch.frombuffer(buf, dtype=tdt) if count else torch.empty(0, dtype=tdt)
        out[name] = t.reshape(shape).clone()
    return out, meta


# ---------------------------------------------------------------------------- checkpoints

class _Inert:
    """Stand-in for pickled classes we do not need (omegaconf config objects, typing.Any)."""

    def __init__(self, *a, **k):
        pass

    def __setstate__(self, state):
        self.state = state

    def __call__(self, *a, **k):
        return _Inert()


def _stub_omegaconf():
    """Lightning checkpoints pickle omegaconf config objects. When omegaconf is not installed,
    register inert stand-in modules so torch.load can rebuild them (torch 1.13 ignores a
    custom pickle_module). Only the state dict is used."""
    try:
        import omegaconf  # noqa: F401
        return
    except ImportError:
        pass
    names = {
        "omegaconf": [],
        "omegaconf.base": ["ContainerMetadata", "Metadata", "Node", "Container"],
        "omegaconf.dictconfig": ["DictConfig"],
        "omegaconf.listconfig": ["ListConfig"],
        "omegaconf.nodes": ["AnyNode", "StringNode", "IntegerNode", "FloatNode", "BooleanNode", "ValueNode"],
    }
    for mod, classes in names.items():
        m = types.ModuleType(mod)
        for c in classes:
            setattr(m, c, type(c, (_Inert,), {}))
        sys.modules.setdefault(mod, m)


def load_state_dict(path):
    _stub_omegaconf()
    ck = torch.load(path, map_location="cpu")
    if isinstance(ck, dict) and "state_dict" in ck:
        return ck["state_dict"]
    if isinstance(ck, dict) and "model" in ck:
        return ck["model"]
    return ck


# ---------------------------------------------------------------------------- models

def s4d_kernel(C, log_dt, log_A_real, A_imag, L):
    """ZOH S4D kernel, models/s4/s4d.py S4DKernel order of operations.

    C: complex (..., H, N) ; returns real (..., H, L)."""
    dt = torch.exp(log_dt)  # (H)
    A = -torch.exp(log_A_real) + 1j * A_imag  # (H N)
    dtA = A * dt.unsqueeze(-1)  # (H N)
    K = dtA.unsqueeze(-1) * torch.arange(L, device=A.device)  # (H N L)
    C = C * (torch.exp(dtA) - 1.0) / A
    return 2 * torch.einsum("...hn, hnl -> ...hl", C, torch.exp(K)).real


class S4DExample(torch.nn.Module):
    """s4d_example: state-spaces/s4 example.py S4Model with S4D layers, postnorm."""

    def __init__(self, sd, heaviside=False):
        super().__init__()
        self.sd = {k: v.float() for k, v in sd.items()}
        self.n_layers = 1 + max(int(k.split(".")[1]) for k in sd if k.startswith("s4_layers."))
        self.heaviside = heaviside  # binary_s4d: y >= 0 spikes instead of GELU

    def forward(self, x):  # x (B, L, 1)
        sd = self.sd
        B, L, _ = x.shape
        x = F.linear(x, sd["encoder.weight"], sd["encoder.bias"])  # (B, L, H)
        x = x.transpose(-1, -2)  # (B, H, L)
        for i in range(self.n_layers):
            p = "s4_layers.%d." % i
            z = x
            C = torch.view_as_complex(sd[p + "kernel.C"].contiguous())
            k = s4d_kernel(C, sd[p + "kernel.log_dt"], sd[p + "kernel.log_A_real"], sd[p + "kernel.A_imag"], L)
            k_f = torch.fft.rfft(k, n=2 * L)
            u_f = torch.fft.rfft(z, n=2 * L)
            y = torch.fft.irfft(u_f * k_f, n=2 * L)[..., :L]
            y = y + z * sd[p + "D"].unsqueeze(-1)
            y = (y >= 0).to(y.dtype) if self.heaviside else F.gelu(y)
            y = F.conv1d(y, sd[p + "output_linear.0.weight"], sd[p + "output_linear.0.bias"])
            z = F.glu(y, dim=-2)
            x = z + x
            x = F.layer_norm(x.transpose(-1, -2), (x.shape[1],), sd["norms.%d.weight" % i], sd["norms.%d.bias" % i]).transpose(-1, -2)
        x = x.transpose(-1, -2).mean(dim=1)
        return F.linear(x, sd["decoder.weight"], sd["decoder.bias"])


class S4BlockDiag(torch.nn.Module):
    """s4block_diag: s4 SequenceModel of prenorm S4Blocks (FFTConv, SSMKernelDiag: zoh, softplus
    dt, n_ssm 1, Im A = -A_imag), final LayerNorm, sum-then-divide mean pool."""

    def __init__(self, sd):
        super().__init__()
        self.sd = {k: v.float() for k, v in sd.items() if v.is_floating_point()}
        self.n_layers = 1 + max(int(k.split(".")[2]) for k in sd if k.startswith("model.layers."))

    def forward(self, x):  # x (B, L, 1)
        sd = self.sd
        B, L, _ = x.shape
        x = F.linear(x, sd["encoder.0.weight"], sd["encoder.0.bias"])  # (B, L, H)
        H = x.shape[-1]
        for i in range(self.n_layers):
            p = "model.layers.%d." % i
            k = p + "layer.layer.kernel."
            z = F.layer_norm(x, (H,), sd[p + "norm.norm.weight"], sd[p + "norm.norm.bias"]).transpose(-1, -2)
            dt = F.softplus(sd[k + "inv_dt"])  # (H, 1)
            A = -torch.exp(sd[k + "A_real"]) - 1j * sd[k + "A_imag"]  # (1, N/2)
            Bc = torch.view_as_complex(sd[k + "B"].contiguous())[0]  # (1, N/2)
            C = torch.view_as_complex(sd[k + "C"].contiguous())[0]  # (H, N/2)
            dtA = dt * A  # (H, N/2)
            Cp = Bc * C * (torch.exp(dtA) - 1.0) / A
            K = 2 * torch.einsum("hn,hnl->hl", Cp, torch.exp(dtA.unsqueeze(-1) * torch.arange(L))).real
            y = torch.fft.irfft(torch.fft.rfft(z, n=2 * L) * torch.fft.rfft(K, n=2 * L), n=2 * L)[..., :L]
            y = y + z * sd[p + "layer.layer.D"].reshape(-1, 1)
            y = F.gelu(y).transpose(-1, -2)
            y = F.linear(y, sd[p + "layer.output_linear.0.weight"], sd[p + "layer.output_linear.0.bias"])
            x = x + F.glu(y, dim=-1)
        x = F.layer_norm(x, (H,), sd["model.norm.norm.weight"], sd["model.norm.norm.bias"])
        x = x.sum(dim=1) / L
        return F.linear(x, sd["decoder.0.output_transform.weight"], sd["decoder.0.output_transform.bias"])


class SpikingSSM(torch.nn.Module):
    """spikingssm_sdn(_long): SDN SpikingSSM with SS4D layers and the SDN neuron."""

    def __init__(self, sd, prenorm, norm):
        super().__init__()
        self.sd = {k: (v.float() if v.is_floating_point() else v) for k, v in sd.items()}
        self.prenorm = prenorm
        self.norm = norm
        self.n_layers = 1 + max(int(k.split(".")[2]) for k in sd if k.startswith("model.s4_layers."))

    def neuron(self, p, vin):  # vin (B, H, L)
        sd = self.sd
        B, H, L = vin.shape
        v = vin.reshape(B * H, 1, L)
        c1 = F.conv1d(v, sd[p + "neuron.model.conv1.weight"], sd[p + "neuron.model.conv1.bias"], padding=8)[..., :L]
        r = F.relu(c1)
        r2 = F.relu(F.conv1d(r, sd[p + "neuron.model.conv2.weight"], sd[p + "neuron.model.conv2.bias"]) + r)
        mem = F.conv1d(r2, sd[p + "neuron.model.conv3.weight"], sd[p + "neuron.model.conv3.bias"])
        return mem.reshape(B, H, L)

    def forward(self, x):  # x (B, L, 1)
        sd = self.sd
        B, L, _ = x.shape
        x = F.linear(x, sd["encoder.0.weight"], sd["encoder.0.bias"]).transpose(-1, -2)  # (B, H, L)
        H = x.shape[1]
        for i in range(self.n_layers):
            p = "model.s4_layers.%d." % i
            z = x
            if self.prenorm:
                z = F.layer_norm(z.transpose(-1, -2), (H,), sd["model.norms.%d.weight" % i], sd["model.norms.%d.bias" % i]).transpose(-1, -2)
            C = torch.view_as_complex(sd[p + "kernel.C"].contiguous())  # (2, H, N)
            k = s4d_kernel(C, sd[p + "kernel.log_dt"], sd[p + "kernel.log_A_real"], sd[p + "kernel.A_imag"], L)
            k0, k1 = k[0], k[1]
            k = F.pad(k0, (0, L)) + F.pad(k1.flip(-1), (L, 0))
            k_f = torch.fft.rfft(k, n=2 * L)
            u_f = torch.fft.rfft(z, n=2 * L)
            y = torch.fft.irfft(u_f * k_f, n=2 * L)[..., :L]
            y = y + z * sd[p + "D"].reshape(-1).unsqueeze(-1)
            vin = y / torch.exp(sd[p + "ln_vth"])  # ln_vth (H, 1)
            mem = self.neuron(p, vin)
            spike = ((mem + vin - 1.0) >= 0).to(vin.dtype)
            y = F.conv1d(spike, sd[p + "output_linear.0.weight"], sd[p + "output_linear.0.bias"])
            x = F.glu(y, dim=-2) + x
            # postnorm: upstream normalises a copy and discards it, so nothing to do here.
        x = x.transpose(-1, -2).mean(dim=1)
        return F.linear(x, sd["decoder.0.output_transform.weight"], sd["decoder.0.output_transform.bias"])


def build(case, case_dir, torchref):
    """Returns (model, description) for a fixture case."""
    if case == "s4d_example":
        return S4DExample(load_state_dict(os.path.join(case_dir, "ckpt.pth"))), "S4D (FFT conv), H=32, 2 layers"
    if case == "binary_s4d":
        return S4DExample(load_state_dict(os.path.join(case_dir, "ckpt.pth")), heaviside=True), "binary S4D (FFT conv, Heaviside spikes), H=32, 2 layers"
    if case == "s4block_diag":
        return S4BlockDiag(load_state_dict(os.path.join(case_dir, "last.ckpt"))), "S4Block + SSMKernelDiag (FFT conv, prenorm), H=32, 2 layers"
    if case in ("spikingssm_sdn", "spikingssm_sdn_long"):
        with open(os.path.join(case_dir, "manifest.json")) as f:
            hp = json.load(f)["hyperparameters"]
        sd = load_state_dict(os.path.join(case_dir, "last.ckpt"))
        return SpikingSSM(sd, bool(hp["prenorm"]), hp["norm"]), "SpikingSSM SS4D + SDN neuron, H=%d, %d layers, N=%d" % (
            hp["d_model"], hp["n_layers"], hp["d_state"])
    if case.startswith("spikessm_ref"):
        return build_spikessm_ref(case_dir, torchref)
    raise ValueError("unknown case %r" % case)


def case_dir_for(case, root, ref_root):
    """spikessm_ref_L64 -> <ref_root>/L64 (tools/torchref's export); others -> <root>/<case>."""
    if case.startswith("spikessm_ref_"):
        return os.path.join(ref_root, case[len("spikessm_ref_"):])
    return os.path.join(root, case)


def build_spikessm_ref(case_dir, torchref):
    """The project's SPikE-SSM reference (tools/torchref): model.pt + hparams.json."""
    if not os.path.exists(os.path.join(torchref, "train.py")):
        raise FileNotFoundError("%s/train.py not found (pass --torchref)" % torchref)
    sys.path.insert(0, torchref)
    import train  # noqa: E402  (tools/torchref/train.py: build(hp))

    with open(os.path.join(case_dir, "hparams.json")) as f:
        hp = json.load(f)
    model = train.build(hp)
    model.load_state_dict(torch.load(os.path.join(case_dir, "model.pt"), map_location="cpu"), strict=True)
    model.eval()
    return model, "spikessm_ref (tools/torchref), H=%d, %d layers, N=%d" % (hp["d_model"], hp["n_layers"], hp["d_state"])


# ---------------------------------------------------------------------------- timing

def time_forward(model, x, warmup, reps, min_time):
    """Median and MAD of seconds per forward call; every raw sample is returned too."""
    with torch.inference_mode():
        for _ in range(max(warmup, 1)):
            model(x)
        t0 = time.perf_counter()
        model(x)
        one = max(time.perf_counter() - t0, 1e-7)
        iters = max(1, int(math.ceil(min_time / one)))
        samples = []
        for _ in range(reps):
            t0 = time.perf_counter()
            for _ in range(iters):
                model(x)
            samples.append((time.perf_counter() - t0) / iters)
    med = statistics.median(samples)
    mad = statistics.median([abs(s - med) for s in samples])
    return med, mad, samples, iters


def batch_input(inp, b):
    if b <= inp.shape[0]:
        return inp[:b].contiguous()
    reps = (b + inp.shape[0] - 1) // inp.shape[0]
    return inp.repeat(reps, 1, 1)[:b].contiguous()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--root", default=os.path.normpath(os.path.join(here, "..", "..", "testdata", "reference")))
    ap.add_argument("--ref-root", default=None, help="tools/torchref exports (default <root>/../spikessm_ref)")
    ap.add_argument("--torchref", default=os.path.normpath(os.path.join(here, "..", "..", "tools", "torchref")))
    ap.add_argument("--cases", default="s4d_example,s4block_diag,binary_s4d,spikingssm_sdn,spikingssm_sdn_long")
    ap.add_argument("--batches", default="1,16")
    ap.add_argument("--threads", default="1,0", help="thread counts; 0 = torch default")
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--min-time", type=float, default=0.2, help="seconds per sample")
    ap.add_argument("--verify-only", action="store_true")
    args = ap.parse_args()
    try:
        batches = [int(b) for b in args.batches.split(",") if b]
        threads = [int(t) for t in args.threads.split(",") if t]
        if any(b <= 0 for b in batches) or any(t < 0 for t in threads) or args.reps <= 0:
            raise ValueError("batches and reps must be positive, threads >= 0")
    except ValueError as e:
        print(json.dumps({"peer": "pytorch", "available": True, "error": "usage: %s" % e}))
        return 2

    default_threads = torch.get_num_threads()
    out = {
        "peer": "pytorch",
        "available": True,
        "torch_version": torch.__version__,
        "python": sys.version.split()[0],
        "executable": sys.executable,
        "machine": platform.machine(),
        "default_threads": default_threads,
        "results": [],
    }
    status = 0
    for case in [c for c in args.cases.split(",") if c]:
        case_dir = case_dir_for(case, args.root, args.ref_root or os.path.join(args.root, "..", "spikessm_ref"))
        res = {"case": case}
        out["results"].append(res)
        try:
            torch.set_num_threads(1)
            model, desc = build(case, case_dir, args.torchref)
            io, _ = read_safetensors(os.path.join(case_dir, "io.safetensors"))
            inp, ref = io["input"].float(), io["logits"].float()
            with torch.inference_mode():
                got = model(inp)
            diff = (got - ref).abs().max().item()
            agree = int((got.argmax(-1) == ref.argmax(-1)).sum().item())
            tol = TOLERANCE.get(case, 1e-4)
            res.update({
                "model": desc,
                "L": int(inp.shape[1]),
                "verified": bool(diff <= tol),
                "max_abs_diff_logits": diff,
                "tolerance": tol,
                "argmax_agree": "%d/%d" % (agree, ref.shape[0]),
                "timings": [],
            })
            if diff > tol:
                status = 1
                res["error"] = "logits differ from the fixture by %.3g > %.3g: not timed" % (diff, tol)
                continue
            if args.verify_only:
                continue
            for b in batches:
                x = batch_input(inp, b)
                for t in threads:
                    torch.set_num_threads(t if t > 0 else default_threads)
                    med, mad, samples, iters = time_forward(model, x, args.warmup, args.reps, args.min_time)
                    res["timings"].append({
                        "batch": b,
                        "threads": t if t > 0 else default_threads,
                        "threads_requested": t,
                        "ms_per_forward": med * 1e3,
                        "mad_ms": mad * 1e3,
                        "ms_per_seq": med * 1e3 / b,
                        "calls_per_sample": iters,
                        "samples_ms": [s * 1e3 for s in samples],
                    })
                    print("torch_peer: %s B=%d threads=%d: %.3f ms/forward" % (case, b, t, med * 1e3), file=sys.stderr)
        except Exception as e:  # reported per case, never faked
            status = max(status, 1)
            res["verified"] = False
            res["error"] = "%s: %s" % (type(e).__name__, e)
    torch.set_num_threads(default_threads)
    print(json.dumps(out, indent=1))
    return status


if __name__ == "__main__":
    sys.exit(main())
