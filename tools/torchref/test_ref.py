"""Self-test of the PyTorch reference (developers only; CI may not have torch).

    /usr/bin/python3 tools/torchref/test_ref.py

Checks, with independent float64 math:
  1. the S4D FFT convolution equals the ZOH recurrence (float64, and float32 within 1e-4);
  2. the float32 neuron equals a float64 scalar loop wherever |m - theta| > 1e-4 (and the
     float32 loop is bit-identical to an element-by-element numpy float32 evaluation);
  3. the surrogate backward equals autograd through an explicit loop;
  4. every committed fixture in testdata/spikessm_ref/* reloads bit-identically
     (train.py --verify) and its test split equals testdata/reference/test_digits.safetensors.
"""

import json
import math
import os
import subprocess
import sys
import unittest

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import spikessm_ref as ref  # noqa: E402
import stio  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
FIXTURES = os.path.join(ROOT, "testdata", "spikessm_ref")


def recurrence64(s4d, u):
    """ZOH recurrence in float64 complex, written from the equations (not from s4d.kernel).

    x_n[t] = exp(dt*A_n)*x_n[t-1] + ((exp(dt*A_n)-1)/A_n)*u[t];  y = 2 Re sum C_n x_n + D u.
    u: (B, H, L) float64 numpy.
    """
    dt = np.exp(s4d.log_dt.detach().double().numpy())
    C = s4d.C.detach().double().numpy()
    C = C[..., 0] + 1j * C[..., 1]
    A = -np.exp(s4d.log_A_real.detach().double().numpy()) + 1j * s4d.A_imag.detach().double().numpy()
    D = s4d.D.detach().double().numpy()
    a = np.exp(dt[:, None] * A)
    b = (a - 1.0) / A
    B, H, L = u.shape
    x = np.zeros((B, H, A.shape[1]), dtype=np.complex128)
    y = np.zeros((B, H, L))
    for t in range(L):
        x = a[None] * x + b[None] * u[:, :, t:t + 1]
        y[:, :, t] = 2.0 * np.real((C[None] * x).sum(-1)) + D[None] * u[:, :, t]
    return y


def neuron64(x, tau, theta, rho, beta):
    """Plain float64 scalar loop of the neuron.  x: (T, B, H) numpy."""
    T = x.shape[0]
    m = np.zeros(x.shape[1:])
    s = np.zeros_like(m)
    r = np.zeros_like(m)
    ms, ss = np.zeros_like(x), np.zeros_like(x)
    for t in range(T):
        m = tau * (m - theta * s) + x[t] - rho * r
        s = (m >= theta).astype(np.float64)
        r = beta * r + s
        ms[t], ss[t] = m, s
    return ss, ms


def neuron32_numpy(x, tau, theta, rho, beta):
    """numpy float32 loop, one rounding per operation in the contract's order."""
    f = np.float32
    x = x.astype(f)
    tau, theta, rho, beta = (v.astype(f) for v in (tau, theta, rho, beta))
    m = np.zeros(x.shape[1:], f)
    s = np.zeros_like(m)
    r = np.zeros_like(m)
    ss = np.zeros_like(x)
    for t in range(x.shape[0]):
        m = ((tau * (m - theta * s)) + x[t]) - rho * r
        s = (m >= theta).astype(f)
        r = beta * r + s
        ss[t] = s
    return ss


def _json(path):
    with open(path) as f:
        return json.load(f)


class TestS4D(unittest.TestCase):
    def test_fft_equals_recurrence(self):
        torch.manual_seed(0)
        for L in (64, 300):
            s4d = ref.S4D(H=8, N=16, dt_min=0.001, dt_max=0.1)
            u = torch.randn(3, 8, L, dtype=torch.float64)
            want = recurrence64(s4d, u.numpy())
            got64 = s4d.double()(u).detach().numpy()
            self.assertLess(np.abs(got64 - want).max(), 1e-9 * max(1.0, np.abs(want).max()))
            s4d = s4d.float()
            got32 = s4d(u.float()).detach().double().numpy()
            self.assertLess(np.abs(got32 - want).max(), 1e-4 + 1e-5 * np.abs(want).max())

    def test_kernel_matches_s4d_formula_at_l0(self):
        # K[0] = 2 Re sum C (exp(dtA)-1)/A, computed independently in numpy float64.
        torch.manual_seed(1)
        s4d = ref.S4D(H=4, N=8).double()
        K = s4d.kernel(5).detach().numpy()
        dt = np.exp(s4d.log_dt.detach().numpy())
        C = s4d.C.detach().numpy()
        C = C[..., 0] + 1j * C[..., 1]
        A = -np.exp(s4d.log_A_real.detach().numpy()) + 1j * s4d.A_imag.detach().numpy()
        K0 = 2 * np.real((C * (np.exp(dt[:, None] * A) - 1) / A).sum(-1))
        np.testing.assert_allclose(K[:, 0], K0, rtol=1e-12, atol=1e-12)


class TestNeuron(unittest.TestCase):
    def params(self, H, g):
        tau = torch.empty(H).uniform_(0.5, 1.0, generator=g)
        theta = torch.empty(H).uniform_(0.3, 2.0, generator=g)
        rho = torch.empty(H).uniform_(0.0, 0.5, generator=g)
        beta = torch.empty(H).uniform_(0.0, 0.95, generator=g)
        return tau, theta, rho, beta

    def test_float32_equals_float64_where_margin_allows(self):
        g = torch.Generator().manual_seed(2)
        T, B, H = 400, 4, 16
        tau, theta, rho, beta = self.params(H, g)
        x = torch.randn(T, B, H, generator=g) * 0.8 + 0.3
        s32, m32 = ref.neuron_forward(x, tau, theta, rho, beta)
        s64, m64 = neuron64(x.double().numpy(), *(v.double().numpy() for v in
                                                  (tau, theta, rho, beta)))
        # Compare per (b, h) row up to its first low-margin step (after a flip the paths differ).
        marg = np.abs(m64 - theta.double().numpy())
        checked = 0
        for b in range(B):
            for h in range(H):
                low = np.nonzero(marg[:, b, h] <= 1e-4)[0]
                end = low[0] if len(low) else T
                np.testing.assert_array_equal(s32[:end, b, h].numpy(), s64[:end, b, h])
                np.testing.assert_allclose(m32[:end, b, h].numpy(), m64[:end, b, h], atol=1e-4)
                checked += end
        self.assertGreater(checked, 0.9 * T * B * H)
        self.assertGreater(float(s32.mean()), 0.02)    # the test exercises spikes and resets
        self.assertLess(float(s32.mean()), 0.9)

    def test_float32_order_bit_exact(self):
        g = torch.Generator().manual_seed(3)
        T, B, H = 200, 2, 16
        tau, theta, rho, beta = self.params(H, g)
        x = torch.randn(T, B, H, generator=g)
        s, _ = ref.neuron_forward(x, tau, theta, rho, beta)
        want = neuron32_numpy(x.numpy(), tau.numpy(), theta.numpy(), rho.numpy(), beta.numpy())
        np.testing.assert_array_equal(s.numpy(), want)

    def test_refractory_lowers_potential(self):
        # One spike at t=0 with no further drive: m[1] = tau*(m0 - theta) - rho*1.
        tau, theta, rho, beta = (torch.tensor([v]) for v in (0.5, 1.0, 0.25, 0.5))
        x = torch.tensor([1.5, 0.0, 0.0]).reshape(3, 1, 1)
        s, m = ref.neuron_forward(x, tau, theta, rho, beta)
        self.assertEqual(s.flatten().tolist(), [1.0, 0.0, 0.0])
        self.assertAlmostEqual(float(m[1]), 0.5 * (1.5 - 1.0) - 0.25, places=6)
        self.assertAlmostEqual(float(m[2]), 0.5 * float(m[1]) - 0.25 * 0.5, places=6)

    def test_surrogate_backward_equals_autograd(self):
        class Heav(torch.autograd.Function):
            @staticmethod
            def forward(ctx, v):
                ctx.save_for_backward(v)
                return (v >= 0).to(v.dtype)

            @staticmethod
            def backward(ctx, gr):
                (v,) = ctx.saved_tensors
                return gr * ref.surrogate(v)

        g = torch.Generator().manual_seed(4)
        T, B, H = 60, 3, 5
        tau = torch.rand(H, generator=g, dtype=torch.float64)
        beta = torch.rand(H, generator=g, dtype=torch.float64) * 0.9
        x = (torch.randn(T, B, H, generator=g, dtype=torch.float64) * 1.5).requires_grad_()
        lt = torch.zeros(H, dtype=torch.float64, requires_grad=True)
        lr = torch.full((H,), -1.0, dtype=torch.float64, requires_grad=True)
        w = torch.randn(T, B, H, generator=g, dtype=torch.float64)
        s1, _ = ref._NeuronFn.apply(x, tau, lt.exp(), lr.exp(), beta)
        (s1 * w).sum().backward()
        g1 = [x.grad.clone(), lt.grad.clone(), lr.grad.clone()]
        x.grad = lt.grad = lr.grad = None
        m = torch.zeros(B, H, dtype=torch.float64)
        s = torch.zeros_like(m)
        r = torch.zeros_like(m)
        out = []
        th, rh = lt.exp(), lr.exp()
        for t in range(T):
            m = tau * (m - th * s) + x[t] - rh * r
            s = Heav.apply(m - th)
            r = beta * r + s
            out.append(s)
        s2 = torch.stack(out)
        (s2 * w).sum().backward()
        self.assertTrue(torch.equal(s1, s2))
        for a, b in zip(g1, [x.grad, lt.grad, lr.grad]):
            self.assertGreater(float(b.abs().max()), 0.0)
            torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)


class TestStio(unittest.TestCase):
    def test_roundtrip(self):
        import tempfile
        t = {"b": np.arange(6, dtype=np.float32).reshape(2, 3), "a": np.array([1, -2], np.int64),
             "c": np.array([0.5], np.float64)}
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "x.safetensors")
            stio.write(p, t, {"k": 1})
            got, meta = stio.read(p)
            with open(p, "rb") as f:
                raw = f.read()
        self.assertEqual(meta, {"k": "1"})
        self.assertEqual(int.from_bytes(raw[:8], "little") % 8, 0)
        for k, v in t.items():
            np.testing.assert_array_equal(got[k], v)
            self.assertEqual(got[k].dtype, v.dtype)


class TestFixtures(unittest.TestCase):
    def cases(self):
        if not os.path.isdir(FIXTURES):
            return []
        return sorted(os.path.join(FIXTURES, d) for d in os.listdir(FIXTURES)
                      if os.path.exists(os.path.join(FIXTURES, d, "model.pt")))

    def test_fixtures_exist(self):
        names = [os.path.basename(c) for c in self.cases()]
        self.assertEqual(names, ["L1024", "L64"])

    def test_reload_bit_identical(self):
        for d in self.cases():
            with self.subTest(case=d):
                res = subprocess.run([sys.executable, os.path.join(HERE, "train.py"),
                                      "--verify", d], capture_output=True, text=True)
                out = json.loads(res.stdout)
                self.assertTrue(out["ok"], out)
                self.assertEqual(res.returncode, 0)

    def test_manifest_consistent(self):
        digits, _ = stio.read(os.path.join(ROOT, "testdata", "reference", "test_digits.safetensors"))
        for d in self.cases():
            with self.subTest(case=d):
                man = _json(os.path.join(d, "manifest.json"))
                hp = _json(os.path.join(d, "hparams.json"))
                io, _ = stio.read(os.path.join(d, "io.safetensors"))
                L = hp["seq_len"]
                np.testing.assert_array_equal(io["input"], digits[f"x{L}"][:16])
                pred = np.asarray(man["test_predictions"])
                np.testing.assert_array_equal(pred, io["test_logits"].argmax(-1))
                acc = float((pred == digits["labels"]).mean())
                self.assertTrue(math.isclose(acc, man["test_accuracy"], rel_tol=1e-6))
                self.assertTrue(man["data"]["check"][f"x{L}_bit_equal"])
                sd = torch.load(os.path.join(d, "model.pt"))
                H, N = hp["d_model"], hp["d_state"]
                self.assertEqual(tuple(sd["encoder.weight"].shape), (H, 1))
                self.assertEqual(tuple(sd["layers.0.s4d.C"].shape), (H, N // 2, 2))
                self.assertEqual(tuple(sd["layers.0.out.weight"].shape), (2 * H, H))
                self.assertEqual(tuple(sd["decoder.weight"].shape), (10, H))
                # spikes in io are the neuron of the stored ssm, with the stored theta
                for i in range(hp["n_layers"]):
                    p = "layers.%d.neuron." % i
                    tau, beta = sd[p + "tau"], sd[p + "beta"]
                    theta, rho = torch.exp(sd[p + "log_theta"]), torch.exp(sd[p + "log_rho"])
                    np.testing.assert_array_equal(theta.numpy(), io[f"layer{i}.neuron.theta"])
                    x = torch.from_numpy(io[f"layer{i}.ssm"].copy()).transpose(0, 1).contiguous()
                    s, _ = ref.neuron_forward(x, tau, theta, rho, beta)
                    np.testing.assert_array_equal(s.transpose(0, 1).numpy(), io[f"layer{i}.spikes"])


if __name__ == "__main__":
    torch.set_num_threads(2)
    unittest.main(verbosity=2)
