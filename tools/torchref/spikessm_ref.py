"""PyTorch reference model for the spikessm project's SPikE-SSM formulation.

This is the project's own formulation of SPikE-SSM (Zhong et al., arXiv 2410.17268): the
paper's exact equations are not public, so the neuron below is the one defined in
format/OPS.md (`SpikingNeuron`, soft reset, refractory after-potential, `compare = ge`).

Model (prenorm residual stack):

    x = encoder(input)                              Linear(F -> H)          encoder.out
    per layer i:
        z = LayerNorm(x)                                                     layer{i}.in
        y = S4D(z)      (ZOH, FFT convolution of length 2L, + D*z)            layer{i}.ssm
        s = SpikingNeuron(y)                                                 layer{i}.spikes
        x = x + GLU(Linear(H -> 2H)(s))          (a = first half)            layer{i}.block / .out
    logits = decoder(mean_t x)                      Linear(H -> 10)          pool

The S4D kernel is parametrised exactly like state-spaces/s4 `models/s4/s4d.py`
(`log_dt`, `C` as a real view (H, N/2, 2), `log_A_real`, `A_imag` with Im A = +A_imag,
B = 1, `D`).  The neuron (per channel, all state zero before t = 0) is

    m[t] = tau*(m[t-1] - theta*s[t-1]) + x[t] - rho*r[t-1]
    s[t] = 1 if m[t] >= theta else 0
    r[t] = beta*r[t-1] + s[t]

evaluated in float32 in exactly this order, one rounding per operation, no fusion:
((tau*(m - theta*s)) + x) - rho*r.  theta = exp(log_theta) and rho = exp(log_rho) are
trainable per channel; tau and beta are per-channel buffers.  Training uses a triangular
surrogate gradient max(0, 1 - |m - theta|) (the shape of SDN's `piecewise_quadratic`),
with the full gradient through the soft reset and the refractory trace (manual BPTT).

Nothing here depends on anything outside torch; run with Debian's /usr/bin/python3.
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

ARCH = "spikessm_ref"
VERSION = 1


def neuron_forward(x, tau, theta, rho, beta):
    """Sequential SPikE-SSM neuron, soft reset, compare `ge`.

    x: (T, B, H) drive (any float dtype; the arithmetic is done in x's dtype).
    tau, theta, rho, beta: (H,).  Returns (s, m): spikes 0/1 and the membrane before
    firing, both (T, B, H) in x's dtype.  The operation order is the contract:
    m = ((tau*(m_prev - theta*s_prev)) + x) - rho*r_prev.
    """
    T = x.shape[0]
    m_all = torch.empty_like(x)
    s_all = torch.empty_like(x)
    m = torch.zeros_like(x[0])
    s = torch.zeros_like(x[0])
    r = torch.zeros_like(x[0])
    for t in range(T):
        a = m - theta * s          # m_prev - theta*s_prev
        a = tau * a                # tau*(...)
        a = a + x[t]               # + x
        m = a - rho * r            # - rho*r_prev
        s = (m >= theta).to(x.dtype)
        r = beta * r + s
        m_all[t] = m
        s_all[t] = s
    return s_all, m_all


def surrogate(v):
    """Triangular surrogate derivative of the Heaviside at v = m - theta."""
    return torch.clamp(1.0 - v.abs(), min=0.0)


class _NeuronFn(torch.autograd.Function):
    """Forward: the exact sequential neuron.  Backward: BPTT with the surrogate."""

    @staticmethod
    def forward(ctx, x, tau, theta, rho, beta):
        with torch.no_grad():
            s, m = neuron_forward(x, tau, theta, rho, beta)
        ctx.save_for_backward(s, m, tau, theta, rho, beta)
        ctx.mark_non_differentiable(m)
        return s, m

    @staticmethod
    def backward(ctx, g_s, g_m_unused):
        s, m, tau, theta, rho, beta = ctx.saved_tensors
        T = s.shape[0]
        sg = surrogate(m - theta)
        g_x = torch.empty_like(m)
        g_theta = torch.zeros_like(m[0])
        g_rho = torch.zeros_like(m[0])
        gm_next = torch.zeros_like(m[0])   # dL/dm[t+1]
        gr_next = torch.zeros_like(m[0])   # dL/dr[t+1] (total)
        r = torch.empty_like(s)            # r[t] of the saved spike train
        acc = torch.zeros_like(s[0])
        for k in range(T):
            acc = beta * acc + s[k]
            r[k] = acc
        for t in range(T - 1, -1, -1):
            # r[t] feeds m[t+1] (coef -rho) and r[t+1] (coef beta)
            g_r = gr_next * beta - gm_next * rho
            # s[t] feeds the output, m[t+1] (coef -tau*theta) and r[t] (coef 1)
            g_st = g_s[t] - gm_next * (tau * theta) + g_r
            # m[t] feeds s[t] (surrogate) and m[t+1] (coef tau)
            g_mt = g_st * sg[t] + gm_next * tau
            g_x[t] = g_mt
            s_t = s[t]
            r_prev = r[t - 1] if t > 0 else acc.zero_()
            # theta: in s[t] = H(m[t] - theta) and in m[t+1] via -tau*theta*s[t]
            g_theta = g_theta - g_st * sg[t] - gm_next * tau * s_t
            g_rho = g_rho - g_mt * r_prev
            gm_next = g_mt
            gr_next = g_r
        red = tuple(range(g_theta.dim() - 1))
        return g_x, None, g_theta.sum(red), g_rho.sum(red), None


class SpikingNeuron(nn.Module):
    """Per-channel refractory soft-reset neuron (format/OPS.md SpikingNeuron)."""

    def __init__(self, H, theta_init=1.0, rho_init=0.1, tau_range=(0.6, 0.95),
                 beta_range=(0.3, 0.9)):
        super().__init__()
        self.log_theta = nn.Parameter(torch.full((H,), math.log(theta_init)))
        self.log_rho = nn.Parameter(torch.full((H,), math.log(rho_init)))
        self.register_buffer("tau", torch.empty(H).uniform_(*tau_range))
        self.register_buffer("beta", torch.empty(H).uniform_(*beta_range))

    def params(self):
        """(tau, theta, rho, beta) as used by the forward."""
        return self.tau, torch.exp(self.log_theta), torch.exp(self.log_rho), self.beta

    def forward(self, x):
        """x: (T, B, H).  Returns (spikes, membrane) (T, B, H)."""
        tau, theta, rho, beta = self.params()
        return _NeuronFn.apply(x, tau, theta, rho, beta)


class S4D(nn.Module):
    """Diagonal SSM with ZOH, parametrised exactly like state-spaces/s4 models/s4/s4d.py."""

    def __init__(self, H, N=16, dt_min=0.001, dt_max=0.1):
        super().__init__()
        log_dt = torch.rand(H) * (math.log(dt_max) - math.log(dt_min)) + math.log(dt_min)
        C = torch.randn(H, N // 2, dtype=torch.cfloat)
        self.log_dt = nn.Parameter(log_dt)
        self.C = nn.Parameter(torch.view_as_real(C))
        self.log_A_real = nn.Parameter(torch.log(0.5 * torch.ones(H, N // 2)))
        self.A_imag = nn.Parameter(math.pi * torch.arange(N // 2).float().repeat(H, 1))
        self.D = nn.Parameter(torch.randn(H))

    def kernel(self, L):
        """K (H, L) = 2*Re sum_n C*(exp(dtA)-1)/A * exp(dtA*l), as s4d.py S4DKernel."""
        dt = torch.exp(self.log_dt)
        C = torch.view_as_complex(self.C)
        A = -torch.exp(self.log_A_real) + 1j * self.A_imag
        dtA = A * dt.unsqueeze(-1)
        K = dtA.unsqueeze(-1) * torch.arange(L, device=A.device)
        C = C * (torch.exp(dtA) - 1.0) / A
        return 2 * torch.einsum("hn, hnl -> hl", C, torch.exp(K)).real

    def forward(self, u):
        """u: (B, H, L) -> (B, H, L), FFT convolution of length 2L plus D*u."""
        L = u.size(-1)
        k = self.kernel(L)
        if u.dtype == torch.float64:
            k = k.double()
        k_f = torch.fft.rfft(k, n=2 * L)
        u_f = torch.fft.rfft(u, n=2 * L)
        y = torch.fft.irfft(u_f * k_f, n=2 * L)[..., :L]
        return y + u * self.D.unsqueeze(-1)


class Block(nn.Module):
    """Prenorm SPikE-SSM block: x + GLU(Linear(neuron(S4D(LayerNorm(x)))))."""

    def __init__(self, H, N, dt_min, dt_max, neuron_kw, dropout=0.0):
        super().__init__()
        self.norm = nn.LayerNorm(H)
        self.drop = nn.Dropout(dropout)   # training only; identity in eval (not part of the graph)
        self.s4d = S4D(H, N, dt_min, dt_max)
        self.neuron = SpikingNeuron(H, **neuron_kw)
        self.out = nn.Linear(H, 2 * H)

    def forward(self, x, rec=None, i=0):
        """x: (B, L, H).  rec: optional dict collecting intermediates."""
        z = self.norm(x)
        y = self.s4d(z.transpose(1, 2)).transpose(1, 2)        # (B, L, H)
        s, m = self.neuron(y.transpose(0, 1).contiguous())     # (L, B, H)
        s = s.transpose(0, 1)
        m = m.transpose(0, 1)
        blk = self.drop(F.glu(self.out(s), dim=-1))           # a = first half
        out = x + blk
        if rec is not None:
            rec[f"layer{i}.in"] = z
            rec[f"layer{i}.ssm"] = y
            rec[f"layer{i}.mem"] = m
            rec[f"layer{i}.spikes"] = s
            rec[f"layer{i}.block"] = blk
            rec[f"layer{i}.out"] = out
        return out


class SpikeSSMRef(nn.Module):
    """encoder Linear(F->H), n_layers prenorm blocks, mean over time, decoder Linear(H->10)."""

    def __init__(self, d_input=1, d_model=32, d_state=16, n_layers=2, n_classes=10,
                 dt_min=0.001, dt_max=0.1, neuron_kw=None, dropout=0.0):
        super().__init__()
        neuron_kw = neuron_kw or {}
        self.encoder = nn.Linear(d_input, d_model)
        self.layers = nn.ModuleList(
            [Block(d_model, d_state, dt_min, dt_max, neuron_kw, dropout) for _ in range(n_layers)])
        self.decoder = nn.Linear(d_model, n_classes)

    def forward(self, x, rec=None):
        """x: (B, L, F) -> logits (B, n_classes)."""
        x = self.encoder(x)
        if rec is not None:
            rec["encoder.out"] = x
        for i, layer in enumerate(self.layers):
            x = layer(x, rec, i)
        pool = x.mean(dim=1)
        if rec is not None:
            rec["pool"] = pool
        return self.decoder(pool)
