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
