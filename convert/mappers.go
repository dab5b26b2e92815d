package convert

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// encoderDecoder reads the encoder Linear (H, F) and decoder Linear (K, H).
func (c *conv) encoderShapes(encKey, decKey string) (H, F, K int, err error) {
	es, ok := c.shape(encKey)
	if !ok || len(es) != 2 {
		return 0, 0, 0, fmt.Errorf("encoder tensor %s missing or not 2-D (shape %v); only a Linear encoder is supported", encKey, es)
	}
	ds, ok := c.shape(decKey)
	if !ok || len(ds) != 2 || ds[1] != es[0] {
		return 0, 0, 0, fmt.Errorf("decoder tensor %s missing or not (K, H=%d) (shape %v)", decKey, es[0], ds)
	}
	return es[0], es[1], ds[0], nil
}

// head emits pooling and the decoder Linear.
func (c *conv) head(x, mode, decPrefix string, H, K int) error {
	switch mode {
	case "pool":
		c.node("MeanPool", "pool", []string{x}, []string{"pool"}, nil)
	case "last":
		c.node("LastStep", "pool", []string{x}, []string{"pool"}, nil)
	default:
		return fmt.Errorf("decoder mode %q is not supported (pool, last)", mode)
	}
	return c.linear("decoder", "pool", "logits", decPrefix+"weight", decPrefix+"bias", K, H)
}

// glu emits Linear(H→2H) then GLU.
func (c *conv) gluOut(i int, in, wKey, bKey string, H int) (string, error) {
	lin := fmt.Sprintf("layer%d.lin", i)
	if err := c.linear(fmt.Sprintf("layer%d.output_linear", i), in, lin, wKey, bKey, 2*H, H); err != nil {
		return "", err
	}
	blk := fmt.Sprintf("layer%d.block", i)
	c.node("GLU", fmt.Sprintf("layer%d.glu", i), []string{lin}, []string{blk}, nil)
	return blk, nil
}

// ---- state-spaces/s4 example.py S4Model (and binary S4D) ----

func (c *conv) mapS4DExample() error {
	H, F, K, err := c.encoderShapes("encoder.weight", "decoder.weight")
	if err != nil {
		return err
	}
	c.inputF, c.classes, c.causal = F, K, true
	nl := c.countLayers("s4_layers.%d.D")
	if nl == 0 {
		return fmt.Errorf("no s4_layers.0.D in the state dict")
	}
	prenorm := false
	if c.opt.Prenorm != nil {
		prenorm = *c.opt.Prenorm
	} else {
		c.note("prenorm is not recorded in an example.py checkpoint: example.py's default (post-norm, x = LayerNorm(x + z)) is used; pass --prenorm to override")
	}
	act := "gelu"
	if c.arch == ArchBinaryS4D {
		act = "heaviside"
		c.note("binary S4D: every S4D GELU is replaced by a Heaviside spike s = (y >= 0) (threshold 0, a tie fires); the checkpoint does not record this, it was requested")
	} else if c.opt.Activation != "" && !strings.EqualFold(c.opt.Activation, "gelu") {
		return fmt.Errorf("activation %q is not supported for s4d_example (gelu, heaviside)", c.opt.Activation)
	}
	c.setMeta("source.repo", "state-spaces/s4 (example.py S4Model, models/s4/s4d.py)")
	c.setMeta("source.parametrisation", "S4DKernel: dt = exp(log_dt) (H); A = -exp(log_A_real) + i*A_imag (Im A = +A_imag); B = 1; C (H, N/2, 2) real view; ZOH: a = exp(dt*A), b = (exp(dt*A)-1)/A")
	c.setMeta("semantics.discretization", "zoh")
	if act == "heaviside" {
		c.setMeta("semantics.threshold_compare", "ge")
		c.setMeta("semantics.activation", "heaviside")
	} else {
		c.setMeta("semantics.activation", "gelu")
	}
	if err := c.linear("encoder", "input", "encoder.out", "encoder.weight", "encoder.bias", H, F); err != nil {
		return err
	}
	x := "encoder.out"
	for i := 0; i < nl; i++ {
		progress(c.opt, "layer %d/%d", i+1, nl)
		p := fmt.Sprintf("s4_layers.%d.", i)
		norm := fmt.Sprintf("norms.%d.", i)
		z := x
		if prenorm {
			z = fmt.Sprintf("layer%d.in", i)
			if err := c.layerNorm(fmt.Sprintf("layer%d.norm", i), x, z, norm, H); err != nil {
				return err
			}
		}
		s, err := c.s4dKernel(p+"kernel.", H)
		if err != nil {
			return err
		}
		if s.cBwd != nil {
			return fmt.Errorf("tensor %skernel.C has a channel dimension; example.py S4D is unidirectional", p)
		}
		if s.d, err = c.skipD(p+"D", H); err != nil {
			return err
		}
		out, err := c.s4dBlock(i, z, x, s, act, p+"output_linear.0.weight", p+"output_linear.0.bias", H, prenorm, norm)
		if err != nil {
			return err
		}
		x = out
	}
	return c.head(x, "pool", "decoder.", H, K)
}

// ---- state-spaces/s4 SequenceModel of S4Blocks with SSMKernelDiag ----

func (c *conv) mapS4Block() error {
	H, F, K, err := c.encoderShapes("encoder.0.weight", "decoder.0.output_transform.weight")
	if err != nil {
		return err
	}
	c.inputF, c.classes = F, K
	nl := c.countLayers("model.layers.%d.layer.output_linear.0.bias")
	if nl == 0 {
		return fmt.Errorf("no model.layers.0.layer.output_linear.0.bias in the state dict")
	}
	if enc, ok := c.paramString("encoder"); ok && enc != "linear" {
		return fmt.Errorf("encoder %q is not supported (linear)", enc)
	}
	mode, ok := c.paramString("decoder.mode")
	if !ok {
		return fmt.Errorf("the decoder mode (pool or last) is not recorded in the checkpoint: pass --config with decoder.mode")
	}
	prenorm, ok := c.prenorm("model.prenorm")
	if !ok {
		return fmt.Errorf("model.prenorm is not recorded in the checkpoint: pass --config (Hydra config.yaml) or --prenorm")
	}
	if nt, ok := c.paramString("model.norm"); ok && nt != "layer" {
		return fmt.Errorf("model.norm %q is not supported for s4block (layer)", nt)
	}
	if m, ok := c.paramString("model.layer.mode"); ok && m != "diag" && m != "s4d" {
		return fmt.Errorf("model.layer.mode %q is not supported (diag)", m)
	}
	o := diagOptions{realT: "exp", imagT: "none", disc: "zoh"}
	var okT bool
	if o.dtT, okT = c.paramString("model.layer.dt_transform"); !okT {
		return fmt.Errorf("model.layer.dt_transform is not recorded (SSMKernelDiag defaults to exp, the s4 Hydra layer config to softplus): pass --config with model.layer.dt_transform")
	}
	if v, ok := c.paramString("model.layer.real_transform"); ok {
		o.realT = v
	} else {
		c.note("model.layer.real_transform not recorded: SSMKernelDiag's default exp is used")
	}
	if v, ok := c.paramString("model.layer.imag_transform"); ok {
		o.imagT = v
	}
	if v, ok := c.paramString("model.layer.disc"); ok {
		o.disc = v
	} else {
		c.note("model.layer.disc not recorded: SSMKernelDiag's default zoh is used")
	}
	if v, ok := c.param("model.layer.bandlimit"); ok && v != nil {
		switch x := v.(type) {
		case float64:
			o.bandlimit = x
		case int64:
			o.bandlimit = float64(x)
		default:
			return fmt.Errorf("model.layer.bandlimit %v is not a number", v)
		}
	}
	act := "gelu"
	if v, ok := c.paramString("model.layer.activation"); ok {
		act = v
	} else {
		c.note("model.layer.activation not recorded: S4Block's default gelu is used")
	}
	if c.opt.Activation != "" {
		act = strings.ToLower(c.opt.Activation)
	}
	if act != "gelu" && act != "heaviside" {
		return fmt.Errorf("activation %q is not supported (gelu, heaviside)", act)
	}
	if v, ok := c.paramString("model.layer.final_act"); ok && v != "glu" {
		return fmt.Errorf("model.layer.final_act %q is not supported (glu)", v)
	}
	for _, k := range []string{"postact", "gate", "bottleneck", "mult_act"} {
		if v, ok := c.param("model.layer." + k); ok && v != nil {
			return fmt.Errorf("model.layer.%s = %v is not supported", k, v)
		}
	}
	c.setMeta("source.repo", "state-spaces/s4 (SequenceModel, S4Block, FFTConv, SSMKernelDiag)")
	c.setMeta("source.parametrisation", fmt.Sprintf("SSMKernelDiag: dt = %s(inv_dt); A = -%s(A_real) - i*%s(A_imag) (A_imag stored as -Im A); B (1, n_ssm, N/2, 2) repeated over H; C (channels, H, N/2, 2); disc %s; bandlimit %g", o.dtT, o.realT, o.imagT, o.disc, o.bandlimit))
	c.setMeta("semantics.discretization", o.disc)
	c.setMeta("semantics.activation", act)
	if err := c.linear("encoder", "input", "encoder.out", "encoder.0.weight", "encoder.0.bias", H, F); err != nil {
		return err
	}
	c.causal = true
	x := "encoder.out"
	for i := 0; i < nl; i++ {
		progress(c.opt, "layer %d/%d", i+1, nl)
		p := fmt.Sprintf("model.layers.%d.", i)
		kp, dKey, err := c.s4blockKernelPrefix(p)
		if err != nil {
			return err
		}
		norm := p + "norm.norm."
		z := x
		if prenorm {
			z = fmt.Sprintf("layer%d.in", i)
			if err := c.layerNorm(fmt.Sprintf("layer%d.norm", i), x, z, norm, H); err != nil {
				return err
			}
		}
		var s *ssm
		if c.has(kp + "inv_dt") {
			s, err = c.diagKernel(kp, H, o)
		} else {
			s, err = c.v3Kernel(kp, H, o)
		}
		if err != nil {
			return err
		}
		if s.cBwd != nil {
			c.causal = false
		}
		if s.d, err = c.skipD(dKey, H); err != nil {
			return err
		}
		out, err := c.s4dBlock(i, z, x, s, act, p+"layer.output_linear.0.weight", p+"layer.output_linear.0.bias", H, prenorm, norm)
		if err != nil {
			return err
		}
		x = out
	}
	if c.has("model.norm.norm.weight") {
		if err := c.layerNorm("final_norm", x, "final_norm", "model.norm.norm.", H); err != nil {
			return err
		}
		x = "final_norm"
	}
	if !c.causal {
		c.note("bidirectional S4D: the model needs whole sequences, no step entry point")
	}
	return c.head(x, mode, "decoder.0.output_transform.", H, K)
}

// s4blockKernelPrefix finds the kernel and D keys of layer prefix p under
// the v4 names or the v3 ones (kernel.kernel., layer.kernel → layer.layer.kernel).
func (c *conv) s4blockKernelPrefix(p string) (string, string, error) {
	for _, cand := range []struct{ kp, d string }{
		{p + "layer.layer.kernel.", p + "layer.layer.D"},
		{p + "layer.layer.kernel.kernel.", p + "layer.layer.D"},
		{p + "layer.kernel.kernel.", p + "layer.D"},
		{p + "layer.kernel.", p + "layer.D"},
	} {
		if c.has(cand.kp+"C") && c.has(cand.d) {
			return cand.kp, cand.d, nil
		}
	}
	return "", "", fmt.Errorf("no SSM kernel found under %slayer.layer.kernel. (v4) or %slayer.kernel.kernel. (v3)", p, p)
}

// v3Kernel maps a v3 diagonal kernel (log_dt (H), log_w_real, w_imag = +Im A)
// as checkpoints/convert_v3_to_v4.py would rename it.
func (c *conv) v3Kernel(kp string, H int, o diagOptions) (*ssm, error) {
	if !c.has(kp+"log_dt") || !c.has(kp+"w_imag") || !c.has(kp+"log_w_real") {
		return nil, fmt.Errorf("kernel %s has neither inv_dt (v4) nor log_dt/log_w_real/w_imag (v3)", kp)
	}
	// v3 → v4: log_dt (H) → inv_dt (H,1) with exp; log_w_real → A_real with
	// exp; w_imag → A_imag negated.
	rename := map[string]string{"log_dt": "inv_dt", "log_w_real": "A_real", "w_imag": "A_imag"}
	saved := map[string]bool{}
	for old, nw := range rename {
		t := *c.sd[kp+old]
		if old == "log_dt" {
			t.Shape = []int{H, 1}
		}
		if old == "w_imag" {
			v, err := t.Float64()
			if err != nil {
				return nil, err
			}
			neg := make([]float64, len(v))
			for i := range v {
				neg[i] = -v[i]
			}
			t.Data, t.DType = neg, "float64"
		}
		t.Name = kp + nw
		c.sd[kp+nw] = &t
		c.used[kp+old] = true
		saved[kp+nw] = true
	}
	o.dtT, o.realT, o.imagT = "exp", "exp", "none"
	c.note("v3 kernel names under %s mapped as convert_v3_to_v4.py does (log_dt → inv_dt with exp, log_w_real → A_real, w_imag → -A_imag)", kp)
	s, err := c.diagKernel(kp, H, o)
	for k := range saved {
		delete(c.sd, k)
		delete(c.used, k)
	}
	return s, err
}

// ---- SpikingSSMs (shenshuaijie/SDN) SpikingSSM of SS4D layers ----

func (c *conv) mapSpikingSSM() error {
	H, F, K, err := c.encoderShapes("encoder.0.weight", "decoder.0.output_transform.weight")
	if err != nil {
		return err
	}
	c.inputF, c.classes = F, K
	nl := c.countLayers("model.s4_layers.%d.D")
	if nl == 0 {
		return fmt.Errorf("no model.s4_layers.0.D in the state dict")
	}
	if enc, ok := c.paramString("encoder"); ok && enc != "linear" {
		return fmt.Errorf("encoder %q is not supported (linear)", enc)
	}
	mode, ok := c.paramString("decoder.mode")
	if !ok {
		return fmt.Errorf("the decoder mode (pool or last) is not recorded in the checkpoint: pass --config with decoder.mode")
	}
	prenorm, ok := c.prenorm("model.prenorm")
	if !ok {
		return fmt.Errorf("model.prenorm is not recorded in the checkpoint: pass --config (Hydra config.yaml) or --prenorm")
	}
	normKind := "layer"
	if c.has("model.norms.0.running_mean") {
		normKind = "batch"
	}
	if v, ok := c.paramString("model.norm"); ok && v != normKind {
		return fmt.Errorf("model.norm is %q in the config but the state dict holds %s-norm tensors", v, normKind)
	}
	c.setMeta("source.repo", "shenshuaijie/SDN (models/spike/ss4d.py SpikingSSM, SS4D) on state-spaces/s4")
	c.setMeta("semantics.discretization", "zoh")
	c.setMeta("semantics.threshold_compare", "ge")
	if err := c.linear("encoder", "input", "encoder.out", "encoder.0.weight", "encoder.0.bias", H, F); err != nil {
		return err
	}
	if !prenorm {
		c.note("post-norm quirk replicated: upstream SpikingSSM.forward (prenorm=False) computes norm(z) after x = z + x and discards it, so no normalisation is emitted; the model.norms.* tensors are ignored")
	}
	c.causal = true
	neuronKind := ""
	x := "encoder.out"
	for i := 0; i < nl; i++ {
		progress(c.opt, "layer %d/%d", i+1, nl)
		p := fmt.Sprintf("model.s4_layers.%d.", i)
		norm := fmt.Sprintf("model.norms.%d.", i)
		z := x
		if prenorm {
			z = fmt.Sprintf("layer%d.in", i)
			var err error
			if normKind == "batch" {
				err = c.batchNorm(fmt.Sprintf("layer%d.norm", i), x, z, norm, H)
			} else {
				err = c.layerNorm(fmt.Sprintf("layer%d.norm", i), x, z, norm, H)
			}
			if err != nil {
				return err
			}
		} else {
			c.ignore(norm+"weight", norm+"bias", norm+"running_mean", norm+"running_var", norm+"num_batches_tracked")
		}
		var s *ssm
		var err error
		if c.has(p + "kernel.log_dt") {
			s, err = c.s4dKernel(p+"kernel.", H)
			c.setMeta("source.parametrisation", "SDN S4DKernel: dt = exp(log_dt) (H); A = -exp(log_A_real) + i*A_imag (Im A = +A_imag); B = 1; C (channels, H, N/2, 2), channel 1 = backward kernel; ZOH")
		} else {
			s, err = c.diagKernel(p+"kernel.", H, diagOptions{dtT: "exp", realT: "exp", imagT: "none", disc: "zoh"})
			c.setMeta("source.parametrisation", "SDN trainable_B SSMKernelDiag: dt = exp(inv_dt); A = -exp(A_real) - i*A_imag; B (1, H, N/2, 2); C (channels, H, N/2, 2); ZOH")
		}
		if err != nil {
			return err
		}
		if s.cBwd != nil {
			c.causal = false
		}
		if bd, ok := c.paramBool("model.layer.bidirectional"); ok && bd != (s.cBwd != nil) {
			return fmt.Errorf("model.layer.bidirectional is %v but %skernel.C has %s channel dimension", bd, p, map[bool]string{true: "a backward", false: "no backward"}[s.cBwd != nil])
		}
		if s.d, err = c.skipD(p+"D", H); err != nil {
			return err
		}
		ssmOut := fmt.Sprintf("layer%d.ssm", i)
		if err := c.emitS4D(fmt.Sprintf("layer%d.s4d", i), z, ssmOut, s); err != nil {
			return err
		}
		vin := ssmOut
		if c.has(p + "ln_vth") {
			vs, _ := c.shape(p + "ln_vth")
			var lv []float64
			switch {
			case slices.Equal(vs, []int{H, 1}):
				lv, err = c.take(p+"ln_vth", H, 1)
			case slices.Equal(vs, []int{1}) || len(vs) == 0:
				var one []float64
				one, err = c.take(p+"ln_vth", vs...)
				if err == nil {
					lv = make([]float64, H)
					for h := range lv {
						lv[h] = one[0]
					}
				}
			default:
				err = fmt.Errorf("tensor %sln_vth has shape %v, want (H=%d, 1) or (1)", p, vs, H)
			}
			if err != nil {
				return err
			}
			ln, err := c.weight(fmt.Sprintf("layer%d.ln_vth", i), []int64{int64(H)}, lv)
			if err != nil {
				return err
			}
			vin = fmt.Sprintf("layer%d.vin", i)
			c.node("ThresholdScale", fmt.Sprintf("layer%d.vth", i), []string{ssmOut, ln}, []string{vin}, nil)
		}
		spikes := fmt.Sprintf("layer%d.spikes", i)
		if c.has(p + "neuron.model.conv1.weight") {
			neuronKind = "sdn"
			if err := c.sdnNeuron(i, p+"neuron.model.", vin, spikes); err != nil {
				return err
			}
		} else {
			kind, ok := c.paramString("model.layer.neuron")
			if !ok {
				return fmt.Errorf("layer %d has no neuron.model.* tensors (SDN) and model.layer.neuron is not recorded: pass --config with model.layer.neuron (bptt or sltt)", i)
			}
			if kind != "bptt" && kind != "sltt" {
				return fmt.Errorf("model.layer.neuron %q is not supported (sdn, bptt, sltt)", kind)
			}
			neuronKind = kind
			if err := c.lifNeuron(i, vin, spikes, H); err != nil {
				return err
			}
		}
		blk, err := c.gluOut(i, spikes, p+"output_linear.0.weight", p+"output_linear.0.bias", H)
		if err != nil {
			return err
		}
		out := fmt.Sprintf("layer%d.out", i)
		c.node("Add", fmt.Sprintf("layer%d.residual", i), []string{x, blk}, []string{out}, nil)
		x = out
	}
	c.setMeta("semantics.neuron", neuronKind)
	if neuronKind == "sdn" {
		c.setMeta("semantics.reset", "sdn")
		c.note("SDN neuron: per-channel causal surrogate network (conv1 k=8 padding 8 sliced to L, relu, conv2 + residual, relu, conv3), spike = (mem + vin - 1 >= 0)")
	} else {
		c.setMeta("semantics.reset", "hard")
	}
	if !c.causal {
		c.note("bidirectional S4D (length-2L kernel, backward half from C[1] starting at lag 1): the model needs whole sequences, no step entry point")
	}
	return c.head(x, mode, "decoder.0.output_transform.", H, K)
}

// sdnNeuron emits SDNNeuron from one layer's copy of the SDN weights.
func (c *conv) sdnNeuron(i int, np, in, spikes string) error {
	w1, err := c.take(np+"conv1.weight", 8, 1, 8)
	if err != nil {
		return err
	}
	b1, err := c.take(np+"conv1.bias", 8)
	if err != nil {
		return err
	}
	w2, err := c.take(np+"conv2.weight", 8, 8, 1)
	if err != nil {
		return err
	}
	b2, err := c.take(np+"conv2.bias", 8)
	if err != nil {
		return err
	}
	w3, err := c.take(np+"conv3.weight", 1, 8, 1)
	if err != nil {
		return err
	}
	b3, err := c.take(np+"conv3.bias", 1)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("layer%d.neuron", i)
	var ins []string
	for _, w := range []struct {
		n     string
		shape []int64
		v     []float64
	}{{"w1", []int64{8, 8}, w1}, {"b1", []int64{8}, b1}, {"w2", []int64{8, 8}, w2}, {"b2", []int64{8}, b2}, {"w3", []int64{8}, w3}, {"b3", []int64{1}, b3}} {
		n, err := c.weight(name+"."+w.n, w.shape, w.v)
		if err != nil {
			return err
		}
		ins = append(ins, n)
	}
	c.node("SDNNeuron", name, append([]string{in}, ins...), []string{spikes, fmt.Sprintf("layer%d.mem", i)}, map[string]any{"threshold": 1.0})
	return nil
}

// lifNeuron emits SDN's BPTT/SLTT neuron: LIF with tau 0.125, threshold 1,
// hard reset, spike when m >= 1 (values fixed in the upstream code).
func (c *conv) lifNeuron(i int, in, spikes string, H int) error {
	tau := make([]float64, H)
	theta := make([]float64, H)
	for h := range tau {
		tau[h], theta[h] = 0.125, 1
	}
	name := fmt.Sprintf("layer%d.neuron", i)
	tn, err := c.weight(name+".tau", []int64{int64(H)}, tau)
	if err != nil {
		return err
	}
	thn, err := c.weight(name+".theta", []int64{int64(H)}, theta)
	if err != nil {
		return err
	}
	c.node("SpikingNeuron", name, []string{in, tn, thn}, []string{spikes, fmt.Sprintf("layer%d.mem", i)}, map[string]any{"reset": "hard", "compare": "ge"})
	return nil
}

// ---- the project's SPikE-SSM reference (tools/torchref) ----

type refHParams struct {
	Arch             string `json:"arch"`
	Version          int    `json:"version"`
	DInput           int    `json:"d_input"`
	DModel           int    `json:"d_model"`
	DState           int    `json:"d_state"`
	NLayers          int    `json:"n_layers"`
	NClasses         int    `json:"n_classes"`
	Prenorm          *bool  `json:"prenorm"`
	Reset            string `json:"reset"`
	ThresholdCompare string `json:"threshold_compare"`
}

func (c *conv) mapSpikeSSMRef() error {
	hpPath := filepath.Join(filepath.Dir(c.path), "hparams.json")
	raw, err := os.ReadFile(hpPath)
	if err != nil {
		return fmt.Errorf("spikessm_ref needs hparams.json beside the checkpoint: %w", err)
	}
	var hp refHParams
	if err := json.Unmarshal(raw, &hp); err != nil {
		return fmt.Errorf("%s: %w", hpPath, err)
	}
	if hp.Arch != ArchSpikeSSMRef || hp.Version != 1 {
		return fmt.Errorf("%s: arch %q version %d, want spikessm_ref version 1", hpPath, hp.Arch, hp.Version)
	}
	if hp.Prenorm == nil || !*hp.Prenorm || hp.Reset != "soft" || hp.ThresholdCompare != "ge" {
		return fmt.Errorf("%s: want prenorm true, reset soft, threshold_compare ge (the version 1 model)", hpPath)
	}
	H, F, K, err := c.encoderShapes("encoder.weight", "decoder.weight")
	if err != nil {
		return err
	}
	nl := c.countLayers("layers.%d.s4d.D")
	if H != hp.DModel || F != hp.DInput || K != hp.NClasses || nl != hp.NLayers {
		return fmt.Errorf("%s says d_model %d, d_input %d, n_classes %d, n_layers %d; the state dict has %d, %d, %d, %d",
			hpPath, hp.DModel, hp.DInput, hp.NClasses, hp.NLayers, H, F, K, nl)
	}
	c.inputF, c.classes, c.causal = F, K, true
	c.setMeta("source.repo", "spikessm tools/torchref (SpikeSSMRef)")
	c.setMeta("source.parametrisation", "S4D as models/s4/s4d.py: dt = exp(log_dt); A = -exp(log_A_real) + i*A_imag; B = 1; ZOH. Neuron: theta = exp(log_theta), rho = exp(log_rho), tau and beta buffers")
	c.setMeta("semantics.discretization", "zoh")
	c.setMeta("semantics.reset", "soft")
	c.setMeta("semantics.threshold_compare", "ge")
	if err := c.linear("encoder", "input", "encoder.out", "encoder.weight", "encoder.bias", H, F); err != nil {
		return err
	}
	x := "encoder.out"
	for i := 0; i < nl; i++ {
		p := fmt.Sprintf("layers.%d.", i)
		z := fmt.Sprintf("layer%d.in", i)
		if err := c.layerNorm(fmt.Sprintf("layer%d.norm", i), x, z, p+"norm.", H); err != nil {
			return err
		}
		s, err := c.s4dKernel(p+"s4d.", H)
		if err != nil {
			return err
		}
		if s.cBwd != nil {
			return fmt.Errorf("tensor %ss4d.C has a channel dimension; the reference S4D is unidirectional", p)
		}
		if 2*s.N != hp.DState {
			return fmt.Errorf("%s says d_state %d; %ss4d.C has N/2 = %d", hpPath, hp.DState, p, s.N)
		}
		if s.d, err = c.skipD(p+"s4d.D", H); err != nil {
			return err
		}
		ssmOut := fmt.Sprintf("layer%d.ssm", i)
		if err := c.emitS4D(fmt.Sprintf("layer%d.s4d", i), z, ssmOut, s); err != nil {
			return err
		}
		name := fmt.Sprintf("layer%d.neuron", i)
		ins := []string{ssmOut}
		for _, q := range []struct {
			key, n string
			exp    bool
			lo, hi float64 // valid range, hi exclusive when open
			open   bool
		}{
			{"neuron.tau", "tau", false, 0, 1, false},
			{"neuron.log_theta", "theta", true, 0, math.Inf(1), true},
			{"neuron.log_rho", "rho", true, 0, math.Inf(1), false},
			{"neuron.beta", "beta", false, 0, 1, true},
		} {
			v, err := c.take(p+q.key, H)
			if err != nil {
				return err
			}
			for h := range v {
				if q.exp {
					v[h] = math.Exp(v[h])
				}
				bad := v[h] < q.lo || v[h] > q.hi || (q.open && v[h] == q.hi) || (q.n == "theta" && v[h] <= 0)
				if bad {
					return fmt.Errorf("tensor %s%s: channel %d gives %s = %g, outside the neuron's valid range", p, q.key, h, q.n, v[h])
				}
			}
			wn, err := c.weight(name+"."+q.n, []int64{int64(H)}, v)
			if err != nil {
				return err
			}
			ins = append(ins, wn)
		}
		spikes := fmt.Sprintf("layer%d.spikes", i)
		c.node("SpikingNeuron", name, ins, []string{spikes, fmt.Sprintf("layer%d.mem", i)}, map[string]any{"reset": "soft", "compare": "ge"})
		blk, err := c.gluOut(i, spikes, p+"out.weight", p+"out.bias", H)
		if err != nil {
			return err
		}
		out := fmt.Sprintf("layer%d.out", i)
		c.node("Add", fmt.Sprintf("layer%d.residual", i), []string{x, blk}, []string{out}, nil)
		x = out
	}
	return c.head(x, "pool", "decoder.", H, K)
}

// s4dBlock emits layer i of an S4D model after its (optional) prenorm: the S4D op on z, the
// activation (GELU or Heaviside), the GLU output projection (weight W, bias B), the residual add
// onto x and, for post-norm models, the LayerNorm with parameter prefix norm. It returns the
// name of the layer's output.
func (c *conv) s4dBlock(i int, z, x string, s *ssm, act, W, B string, H int, prenorm bool, norm string) (string, error) {
	ssmOut := fmt.Sprintf("layer%d.ssm", i)
	if err := c.emitS4D(fmt.Sprintf("layer%d.s4d", i), z, ssmOut, s); err != nil {
		return "", err
	}
	var a string
	if act == "heaviside" {
		a = fmt.Sprintf("layer%d.spikes", i)
		c.node("Heaviside", fmt.Sprintf("layer%d.spike", i), []string{ssmOut}, []string{a}, map[string]any{"threshold": 0.0})
	} else {
		a = fmt.Sprintf("layer%d.gelu", i)
		c.node("GELU", fmt.Sprintf("layer%d.act", i), []string{ssmOut}, []string{a}, map[string]any{"approximate": "none"})
	}
	blk, err := c.gluOut(i, a, W, B, H)
	if err != nil {
		return "", err
	}
	out := fmt.Sprintf("layer%d.out", i)
	if prenorm {
		c.node("Add", fmt.Sprintf("layer%d.residual", i), []string{x, blk}, []string{out}, nil)
	} else {
		res := fmt.Sprintf("layer%d.res", i)
		c.node("Add", fmt.Sprintf("layer%d.residual", i), []string{x, blk}, []string{res}, nil)
		if err := c.layerNorm(fmt.Sprintf("layer%d.norm", i), res, out, norm, H); err != nil {
			return "", err
		}
	}
	return out, nil
}
