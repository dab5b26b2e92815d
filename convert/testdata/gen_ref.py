# Makes the small spikessm_ref fixture of convert's tests: an untrained
# tools/torchref SpikeSSMRef (seed 7, d_model 8, d_state 4, 2 layers) saved the
# way tools/torchref/train.py exports it (torch.save(state_dict) + hparams.json).
# Run from the repository root: /usr/bin/python3 convert/testdata/gen_ref.py
import json, os, sys
import torch
sys.path.insert(0, "tools/torchref")
import spikessm_ref as ref
torch.manual_seed(7)
hp = {"arch": "spikessm_ref", "version": 1, "d_input": 1, "d_model": 8, "d_state": 4,
      "n_layers": 2, "n_classes": 3, "prenorm": True, "reset": "soft", "threshold_compare": "ge"}
m = ref.SpikeSSMRef(d_input=1, d_model=8, d_state=4, n_layers=2, n_classes=3)
out = "convert/testdata/spikessm_ref"
os.makedirs(out, exist_ok=True)
torch.save(m.state_dict(), os.path.join(out, "model.pt"))
with open(os.path.join(out, "hparams.json"), "w") as f:
    json.dump(hp, f, indent=1)
    f.write("\n")

# A tiny example.py-style S4D state dict (H 2, N/2 1, one layer, 3 classes) in
# the legacy (non-zip) format: a small seed for FuzzConvert.
import collections
g = torch.Generator().manual_seed(3)
r = lambda *s: torch.randn(*s, generator=g)
tiny = collections.OrderedDict([
    ("encoder.weight", r(2, 1)), ("encoder.bias", r(2)),
    ("s4_layers.0.D", r(2)), ("s4_layers.0.kernel.C", r(2, 1, 2)),
    ("s4_layers.0.kernel.log_dt", torch.full((2,), -3.0)),
    ("s4_layers.0.kernel.log_A_real", torch.full((2, 1), -0.7)),
    ("s4_layers.0.kernel.A_imag", torch.full((2, 1), 3.14)),
    ("s4_layers.0.output_linear.0.weight", r(4, 2, 1)), ("s4_layers.0.output_linear.0.bias", r(4)),
    ("norms.0.weight", torch.ones(2)), ("norms.0.bias", torch.zeros(2)),
    ("decoder.weight", r(3, 2)), ("decoder.bias", r(3)),
])
torch.save({"model": tiny}, "convert/testdata/tiny_s4d_legacy.pth", _use_new_zipfile_serialization=False)
