# Generates the small synthetic fixtures of torchfile's tests with PyTorch
# (run: /usr/bin/python3 gen.py). Values are written here, so tests compare
# against these literals, not against the reader's own output.
import argparse, collections, torch
torch.manual_seed(0)
# complex storage, zip, archive folder renamed by file stem
c = torch.tensor([1 + 2j, -3.5 + 0.25j, 0 - 1j], dtype=torch.complex64)
torch.save({"c": c, "c128": c.to(torch.complex128)}, "complex.pt")
# legacy non-zip file with a shared storage viewed twice (offset, strides)
base = torch.arange(12, dtype=torch.float32)
m = base.view(3, 4)
sd = collections.OrderedDict()
sd["full"] = m
sd["col1"] = m[:, 1]          # non-contiguous view, offset 1, stride 4
sd["tail"] = base[6:]         # offset 6
sd["t"] = m.t()               # transposed
torch.save(sd, "legacy_views.pt", _use_new_zipfile_serialization=False)
# {'net': sd} wrapper + argparse Namespace hyper-parameters, zip
ns = argparse.Namespace(lr=0.5, layers=[1, 2], name="x")
torch.save({"net": {"w": torch.ones(2, 2)}, "hyper_parameters": ns}, "net_namespace.pt")
# Lightning-style hyper_parameters held in a dict subclass (AttributeDict)
class AttributeDict(dict):
    pass
torch.save({"state_dict": {"w": torch.zeros(1)}, "hyper_parameters": AttributeDict(lr=0.1, n=3),
            "pytorch-lightning_version": "1.9.0"}, "attrdict.ckpt")
