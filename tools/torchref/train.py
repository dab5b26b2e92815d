"""Train and export the spikessm SPikE-SSM reference model on scikit-learn's 8x8 digits.

    /usr/bin/python3 tools/torchref/train.py --seq-len 64   --out testdata/spikessm_ref/L64
    /usr/bin/python3 tools/torchref/train.py --seq-len 1024 --out testdata/spikessm_ref/L1024

Writes into --out: model.pt (torch.save of the state_dict), hparams.json, io.safetensors
(reference inputs, logits and per-layer tensors, (B, L, H) layout, as testdata/reference)
and manifest.json (test predictions, accuracy, firing rates, spike margins, float32 vs
float64, sha256 of every file, and the result of a reload check in a fresh process).

    /usr/bin/python3 tools/torchref/train.py --verify DIR

reloads DIR/model.pt in this process and checks io.safetensors and the manifest's
predictions bit for bit (prints JSON, exit status 1 on mismatch).
"""

import argparse
import copy
import hashlib
import json
import os
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import spikessm_ref as ref  # noqa: E402
import stio  # noqa: E402

N_TRAIN = 1437
IO_BATCH = 16
EVAL_BATCH = 16


def load_data(L):
    """Digits as sequences: x (1797, L, 1) float32, y (1797,) int64 (README "Task data")."""
    from sklearn.datasets import load_digits
    d = load_digits()
    img = torch.tensor(d.images, dtype=torch.float32) / 16.0          # (1797, 8, 8)
    if L == 64:
        x = img.reshape(-1, 64, 1)
    elif L == 1024:
        up = F.interpolate(img.unsqueeze(1), size=(32, 32), mode="bilinear", align_corners=False)
        x = up.reshape(-1, 1024, 1)
    else:
        raise ValueError(f"seq_len {L}: only 64 and 1024 are defined")
    y = torch.tensor(d.target, dtype=torch.int64)
    return x.contiguous(), y


def check_test_split(x, y, L, path):
    """Compare our test split with testdata/reference/test_digits.safetensors, bit for bit."""
    if not os.path.exists(path):
        return {"file": path, "checked": False}
    t, _ = stio.read(path)
    key = "x64" if L == 64 else "x1024"
    ours = x[N_TRAIN:].numpy()
    return {"file": os.path.relpath(path, _repo_root()), "checked": True,
            f"{key}_bit_equal": bool(np.array_equal(ours.view(np.uint32),
                                                    t[key].view(np.uint32))),
            "labels_equal": bool(np.array_equal(y[N_TRAIN:].numpy(), t["labels"]))}


def _repo_root():
    return os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def build(hp):
    """Model from a hparams dict (hparams.json)."""
    return ref.SpikeSSMRef(d_input=hp["d_input"], d_model=hp["d_model"], d_state=hp["d_state"],
                           n_layers=hp["n_layers"], n_classes=hp["n_classes"],
                           dt_min=hp["dt_min"], dt_max=hp["dt_max"],
                           neuron_kw=dict(theta_init=hp["theta_init"], rho_init=hp["rho_init"],
                                          tau_range=tuple(hp["tau_range"]),
                                          beta_range=tuple(hp["beta_range"])),
                           dropout=hp.get("dropout", 0.0))


def spike_rates(rec, n_layers):
    """Fraction of ones per layer in a record dict."""
    return {f"layer{i}": float(rec[f"layer{i}.spikes"].float().mean()) for i in range(n_layers)}


def train(hp, log):
    """Train deterministically; returns the model in eval mode and the training log."""
    torch.manual_seed(hp["seed"])
    x, y = load_data(hp["seq_len"])
    model = build(hp)
    xtr, ytr = x[:N_TRAIN], y[:N_TRAIN]
    ssm_names = ("log_dt", "log_A_real", "A_imag")
    groups = {"ssm": [], "nowd": [], "main": []}
    for n, p in model.named_parameters():
        leaf = n.split(".")[-1]
        if leaf in ssm_names:
            groups["ssm"].append(p)
        elif leaf in ("log_theta", "log_rho") or "norm" in n or n.endswith("bias"):
            groups["nowd"].append(p)
        else:
            groups["main"].append(p)
    opt = torch.optim.AdamW([
        {"params": groups["main"], "lr": hp["lr"], "weight_decay": hp["weight_decay"]},
        {"params": groups["nowd"], "lr": hp["lr"], "weight_decay": 0.0},
        {"params": groups["ssm"], "lr": hp["ssm_lr"], "weight_decay": 0.0},
    ])
    bs = hp["batch_size"]
    steps_per_epoch = (N_TRAIN + bs - 1) // bs
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=hp["epochs"] * steps_per_epoch)
    gen = torch.Generator().manual_seed(hp["seed"])
    t0 = time.time()
    for ep in range(hp["epochs"]):
        model.train()
        perm = torch.randperm(N_TRAIN, generator=gen)
        tot_loss, correct, rates = 0.0, 0, None
        for k in range(steps_per_epoch):
            idx = perm[k * bs:(k + 1) * bs]
            rec = {}
            out = model(xtr[idx], rec)
            loss = F.cross_entropy(out, ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            tot_loss += float(loss) * len(idx)
            correct += int((out.argmax(-1) == ytr[idx]).sum())
            r = spike_rates(rec, hp["n_layers"])
            rates = r if rates is None else {a: rates[a] + r[a] for a in r}
        row = [ep, round(tot_loss / N_TRAIN, 5), round(correct / N_TRAIN, 5),
               [round(rates[a] / steps_per_epoch, 4) for a in sorted(rates)],
               round(time.time() - t0, 1)]
        log.append(row)
        print("epoch %d loss %.4f train_acc %.4f spike_rates %s t=%.0fs" % tuple(row), flush=True)
    model.eval()
    return model, time.time() - t0


@torch.no_grad()
def run_split(model, x, n_layers, stats=None):
    """Logits for x in batches of EVAL_BATCH; optional margin/rate statistics per layer."""
    outs = []
    for b in range(0, x.shape[0], EVAL_BATCH):
        rec = {}
        outs.append(model(x[b:b + EVAL_BATCH], rec))
        if stats is not None:
            for i in range(n_layers):
                th = torch.exp(model.layers[i].neuron.log_theta)
                marg = (rec[f"layer{i}.mem"] - th).abs()
                st = stats.setdefault(i, {"ones": 0, "n": 0, "min_margin": float("inf"),
                                          "below_1e-3": 0, "below_1e-4": 0})
                st["ones"] += int(rec[f"layer{i}.spikes"].sum())
                st["n"] += rec[f"layer{i}.spikes"].numel()
                st["min_margin"] = min(st["min_margin"], float(marg.min()))
                st["below_1e-3"] += int((marg < 1e-3).sum())
                st["below_1e-4"] += int((marg < 1e-4).sum())
    return torch.cat(outs)


@torch.no_grad()
def io_tensors(model, x_io, n_layers, inter_b):
    """The io.safetensors contents (float32 run)."""
    rec = {}
    logits = model(x_io, rec)
    t = {"input": x_io, "logits": logits}
    for k, v in rec.items():
        t[k] = v[:inter_b].contiguous()
    for i in range(n_layers):
        tau, theta, rho, beta = model.layers[i].neuron.params()
        t[f"layer{i}.neuron.theta"] = theta
        t[f"layer{i}.neuron.rho"] = rho
    return t


def teacher_forced(sd, io, n_layers):
    """Float64 neuron fed the float32 `layer{i}.ssm` of io: where and why spikes differ.

    Per (sample, channel) row, a flip at a tiny margin changes the later membrane (reset and
    refractory), so later spikes of that row may differ at large margins too; the useful
    numbers are the margins at each row's *first* flip.
    """
    res = {}
    for i in range(n_layers):
        p = "layers.%d.neuron." % i
        tau, beta = sd[p + "tau"].double(), sd[p + "beta"].double()
        theta32 = torch.exp(sd[p + "log_theta"])
        theta, rho = theta32.double(), torch.exp(sd[p + "log_rho"]).double()
        s32 = np.asarray(io[f"layer{i}.spikes"])
        marg = np.abs(np.asarray(io[f"layer{i}.mem"]) - theta32.numpy())
        # (a) neuron only: fed the float32 ssm; (b) S4D + neuron: fed the float32 layer input
        H, N2 = sd[f"layers.{i}.s4d.log_A_real"].shape
        s4d = ref.S4D(H, 2 * N2)
        s4d.load_state_dict({k: sd[f"layers.{i}.s4d.{k}"] for k in
                             ("log_dt", "C", "log_A_real", "A_imag", "D")})
        s4d = s4d.double()
        with torch.no_grad():
            z = torch.from_numpy(np.array(io[f"layer{i}.in"])).double()
            ssm64 = s4d(z.transpose(1, 2)).transpose(1, 2)
        out = {}
        for name, xin in (("neuron", torch.from_numpy(np.array(io[f"layer{i}.ssm"])).double()),
                          ("s4d_neuron", ssm64)):
            s64, _ = ref.neuron_forward(xin.transpose(0, 1).contiguous(), tau, theta, rho, beta)
            s64 = s64.transpose(0, 1).numpy()                          # (b, L, H)
            flips = s64 != s32
            rows = flips.any(axis=1)                                   # (b, H)
            first = flips.argmax(axis=1)
            fm = [float(marg[b, first[b, h], h]) for b, h in zip(*np.nonzero(rows))]
            out[name] = {"flips": int(flips.sum()), "of": int(flips.size),
                         "rows_with_flips": int(rows.sum()), "rows": int(rows.size),
                         "max_margin_at_first_flip": max(fm) if fm else None}
        out["max_abs_diff_ssm_f64"] = float(np.abs(ssm64.numpy() - io[f"layer{i}.ssm"]).max())
        res[f"layer{i}"] = out
    return res


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def export(model, hp, out, train_info):
    """Write model.pt, hparams.json, io.safetensors, manifest.json into out."""
    os.makedirs(out, exist_ok=True)
    L, nl = hp["seq_len"], hp["n_layers"]
    x, y = load_data(L)
    xte, yte = x[N_TRAIN:], y[N_TRAIN:]
    stats = {}
    test_logits = run_split(model, xte, nl, stats)
    pred = test_logits.argmax(-1)
    acc = float((pred == yte).float().mean())
    rates = {f"layer{i}": stats[i]["ones"] / stats[i]["n"] for i in range(nl)}
    inter_b = IO_BATCH if L <= 64 else 1
    io = io_tensors(model, xte[:IO_BATCH], nl, inter_b)
    assert torch.equal(io["logits"], test_logits[:IO_BATCH]), "io logits != test_logits[0:16]"
    io["test_logits"] = test_logits

    # float64 run of the same weights
    m64 = copy.deepcopy(model).double()
    rec64 = {}
    with torch.no_grad():
        logits64 = m64(xte[:IO_BATCH].double(), rec64)
        test64 = run_split(m64, xte.double(), nl)
    io["logits_f64"] = logits64
    f64 = {"max_abs_diff_logits": float((logits64 - io["logits"].double()).abs().max()),
           "test_max_abs_diff_logits": float((test64 - test_logits.double()).abs().max()),
           "test_argmax_agree": int((test64.argmax(-1) == pred).sum()), "test_of": len(pred)}
    rec32 = {}
    with torch.no_grad():
        model(xte[:IO_BATCH], rec32)
    for i in range(nl):
        s32, s64 = rec32[f"layer{i}.spikes"], rec64[f"layer{i}.spikes"]
        flips = (s32.double() != s64)
        th = torch.exp(model.layers[i].neuron.log_theta)
        marg = (rec32[f"layer{i}.mem"] - th).abs()
        f64[f"spike_flips_layer{i}"] = int(flips.sum())
        f64[f"spikes_layer{i}"] = s32.numel()
        f64[f"max_abs_margin_at_flips_layer{i}"] = float(marg[flips].max()) if flips.any() else None
        f64[f"min_abs_margin_io_layer{i}"] = float(marg.min())
        for name in ("ssm", "out"):
            k = f"layer{i}.{name}"
            f64[f"max_abs_diff_{k}"] = float((rec64[k] - rec32[k].double()).abs().max())

    torch.save(model.state_dict(), os.path.join(out, "model.pt"))
    hp_out = dict(hp)
    hp_out.update({"test_accuracy": acc, "spike_rate": rates,
                   "torch": torch.__version__, "training_seconds": round(train_info["seconds"], 1)})
    with open(os.path.join(out, "hparams.json"), "w") as f:
        json.dump(hp_out, f, indent=1)
        f.write("\n")
    io_bytes = stio.write(os.path.join(out, "io.safetensors"), io, {
        "case": f"spikessm_ref_L{L}", "layout": "(B, L, H) float32 per-layer tensors",
        "io_batch": IO_BATCH, "intermediate_batch": inter_b})
    print(f"io.safetensors {io_bytes} bytes", flush=True)

    margins = {f"layer{i}": {"min_abs_margin_test": stats[i]["min_margin"],
                             "count_below_1e-3_test": stats[i]["below_1e-3"],
                             "count_below_1e-4_test": stats[i]["below_1e-4"],
                             "of": stats[i]["n"]} for i in range(nl)}
    manifest = {
        "name": f"spikessm_ref_L{L}",
        "arch": ref.ARCH,
        "model": "tools/torchref/spikessm_ref.py SpikeSSMRef (prenorm: LayerNorm -> S4D (ZOH, "
                 "FFT conv 2L, +D) -> SpikingNeuron (soft reset, refractory, ge) -> "
                 "Linear(H,2H) -> GLU (a = first half) -> residual; mean over time; Linear(H,10))",
        "neuron": {"equation": "m = ((tau*(m_prev - theta*s_prev)) + x) - rho*r_prev; "
                               "s = m >= theta; r = beta*r_prev + s; float32, that order",
                   "theta": "exp(log_theta) in float32 (torch.exp); also stored in io as "
                            "layer{i}.neuron.theta", "rho": "exp(log_rho), io layer{i}.neuron.rho",
                   "tau_beta": "buffers layers.{i}.neuron.tau / .beta",
                   "reset": "soft", "threshold_compare": "ge",
                   "margin": "|m - theta| with m = layer{i}.mem (membrane before firing)"},
        "conventions": {
            "A": "A = -exp(log_A_real) + 1j*A_imag (Im A = +A_imag)", "dt": "exp(log_dt), (H)",
            "B": "1", "C": "layers.{i}.s4d.C (H, N/2, 2) = view_as_real of complex C",
            "discretization": "ZOH: C' = C*(exp(dt*A)-1)/A; K[h,l] = 2*Re(sum_n C'[h,n] "
                              "exp(dt*A[h,n]*l)); y = irfft(rfft(u,2L)*rfft(K,2L))[:L] + D*u",
            "pool": "torch mean over time (dim 1)", "layernorm_eps": 1e-5},
        "hyperparameters": hp,
        "environment": {"torch": torch.__version__, "numpy": np.__version__,
                        "python": sys.version.split()[0], "threads": torch.get_num_threads()},
        "data": {"source": "sklearn.datasets.load_digits (bundled)", "input": "pixels/16",
                 "train": f"samples [0:{N_TRAIN}]", "test": f"samples [{N_TRAIN}:1797]",
                 "sequence": "row-major 8x8 (L=64)" if L == 64 else
                 "bilinear 32x32 upsample, align_corners=False, row-major (L=1024)",
                 "check": check_test_split(x, y, L, os.path.join(
                     _repo_root(), "testdata", "reference", "test_digits.safetensors"))},
        "training": {"log_columns": ["epoch", "train_loss", "train_acc", "train_spike_rates",
                                     "elapsed_s"],
                     "log": train_info["log"], "seconds": round(train_info["seconds"], 1)},
        "test_accuracy": acc,
        "test_correct": int((pred == yte).sum()),
        "test_predictions": pred.tolist(),
        "spike_rate": rates,
        "spike_rate_io": spike_rates(rec32, nl),
        "spike_margins": margins,
        "float32_vs_float64": f64,
        "io": {"file": "io.safetensors", "batch": IO_BATCH, "intermediate_batch": inter_b,
               "tensors": {k: {"dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape)}
                           for k, v in io.items()}},
    }
    manifest["teacher_forced_neuron_f64"] = teacher_forced(
        model.state_dict(), {k: v.detach().numpy() for k, v in io.items()}, nl)
    manifest["files"] = {f: {"sha256": sha256(os.path.join(out, f)),
                             "bytes": os.path.getsize(os.path.join(out, f))}
                         for f in ("model.pt", "hparams.json", "io.safetensors")}
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    # reload check in a fresh process
    res = subprocess.run([sys.executable, os.path.abspath(__file__), "--verify", out],
                         capture_output=True, text=True)
    try:
        ver = json.loads(res.stdout)
    except json.JSONDecodeError:
        ver = {"ok": False, "stdout": res.stdout[-2000:], "stderr": res.stderr[-2000:]}
    manifest["verification"] = ver
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    return manifest


def verify(out):
    """Reload out/model.pt and check io.safetensors + test_predictions bit for bit."""
    torch.set_num_threads(2)
    with open(os.path.join(out, "hparams.json")) as f:
        hp = json.load(f)
    with open(os.path.join(out, "manifest.json")) as f:
        man = json.load(f)
    model = build(hp)
    model.load_state_dict(torch.load(os.path.join(out, "model.pt")), strict=True)
    model.eval()
    ref_io, _ = stio.read(os.path.join(out, "io.safetensors"))
    x, y = load_data(hp["seq_len"])
    xte = x[N_TRAIN:]
    io = io_tensors(model, xte[:IO_BATCH], hp["n_layers"], ref_io["layer0.spikes"].shape[0])
    with torch.no_grad():
        io["test_logits"] = run_split(model, xte, hp["n_layers"])
        io["logits_f64"] = copy.deepcopy(model).double()(xte[:IO_BATCH].double())
    res = {"how": "fresh process: build from hparams.json, load_state_dict(strict=True), eval",
           "mismatched": []}
    for k, v in ref_io.items():
        ours = io[k].detach().numpy()
        if ours.shape != v.shape or ours.tobytes() != v.tobytes():
            res["mismatched"].append(k)
    res["tensors_checked"] = len(ref_io)
    res["test_predictions_match"] = io["test_logits"].argmax(-1).tolist() == man["test_predictions"]
    res["ok"] = not res["mismatched"] and res["test_predictions_match"]
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seq-len", type=int, choices=(64, 1024))
    ap.add_argument("--out")
    ap.add_argument("--verify", metavar="DIR")
    ap.add_argument("--analyze", metavar="DIR",
                    help="add teacher_forced_neuron_f64 to DIR/manifest.json from its files")
    ap.add_argument("--d-model", type=int, default=32)
    ap.add_argument("--d-state", type=int, default=16)
    ap.add_argument("--n-layers", type=int, default=2)
    ap.add_argument("--epochs", type=int)
    ap.add_argument("--batch-size", type=int, default=50)
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--ssm-lr", type=float, default=0.001)
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dropout", type=float, default=0.0,
                    help="dropout on each block's GLU output, training only")
    ap.add_argument("--theta-init", type=float, default=1.0)
    ap.add_argument("--rho-init", type=float, default=0.1)
    ap.add_argument("--dt-min", type=float, default=0.001)
    ap.add_argument("--dt-max", type=float, default=0.1)
    a = ap.parse_args()
    torch.set_num_threads(2)
    if a.verify:
        res = verify(a.verify)
        print(json.dumps(res))
        sys.exit(0 if res["ok"] else 1)
    if a.analyze:
        with open(os.path.join(a.analyze, "hparams.json")) as f:
            hp = json.load(f)
        io, _ = stio.read(os.path.join(a.analyze, "io.safetensors"))
        sd = torch.load(os.path.join(a.analyze, "model.pt"))
        path = os.path.join(a.analyze, "manifest.json")
        with open(path) as f:
            man = json.load(f)
        man["teacher_forced_neuron_f64"] = teacher_forced(sd, io, hp["n_layers"])
        with open(path, "w") as f:
            json.dump(man, f, indent=1)
            f.write("\n")
        print(json.dumps(man["teacher_forced_neuron_f64"]))
        return
    if a.seq_len is None or a.out is None:
        ap.error("--seq-len and --out are required (or --verify DIR)")
    hp = {"arch": ref.ARCH, "version": ref.VERSION, "d_input": 1, "d_model": a.d_model,
          "d_state": a.d_state, "n_layers": a.n_layers, "n_classes": 10, "prenorm": True,
          "reset": "soft", "threshold_compare": "ge", "seq_len": a.seq_len,
          "dt_min": a.dt_min, "dt_max": a.dt_max, "theta_init": a.theta_init,
          "rho_init": a.rho_init, "tau_range": [0.6, 0.95], "beta_range": [0.3, 0.9],
          "dropout": a.dropout, "seed": a.seed, "epochs": a.epochs or (60 if a.seq_len == 64 else 20),
          "batch_size": a.batch_size, "lr": a.lr, "ssm_lr": a.ssm_lr,
          "weight_decay": a.weight_decay, "threads": 2,
          "optimizer": "AdamW; log_dt/log_A_real/A_imag lr ssm_lr wd 0; log_theta/log_rho, "
                       "norms, biases wd 0; CosineAnnealingLR per step",
          "surrogate": "triangular max(0, 1 - |m - theta|), full BPTT through reset and r"}
    log = []
    model, secs = train(hp, log)
    man = export(model, hp, a.out, {"log": log, "seconds": secs})
    print(json.dumps({k: man[k] for k in ("test_accuracy", "spike_rate", "spike_margins")}))
    print("verification", json.dumps(man["verification"]))
    print("training seconds %.1f" % secs)


if __name__ == "__main__":
    main()
