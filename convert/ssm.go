package convert

import (
	"fmt"
	"math"
	"slices"
)

// s4dKernel reads a models/s4/s4d.py-style S4DKernel (log_dt (H), C
// ([channels,] H, N/2, 2), log_A_real (H, N/2), A_imag (H, N/2), Im A =
// +A_imag, ZOH, B = 1) under prefix kp. With a leading channel dimension of 2
// the second channel is the backward kernel.
func (c *conv) s4dKernel(kp string, H int) (*ssm, error) {
	cs, ok := c.shape(kp + "C")
	if !ok {
		return nil, fmt.Errorf("tensor %sC is missing from the checkpoint", kp)
	}
	var N, ch int
	switch {
	case len(cs) == 3 && cs[0] == H && cs[2] == 2:
		N, ch = cs[1], 0
	case len(cs) == 4 && cs[1] == H && cs[3] == 2 && (cs[0] == 1 || cs[0] == 2):
		N, ch = cs[2], cs[0]
	default:
		return nil, fmt.Errorf("tensor %sC has shape %v, want (H=%d, N/2, 2) or (1|2, H, N/2, 2)", kp, cs, H)
	}
	var C []float64
	var err error
	if ch == 0 {
		C, err = c.take(kp+"C", H, N, 2)
	} else {
		C, err = c.take(kp+"C", ch, H, N, 2)
	}
	if err != nil {
		return nil, err
	}
	logDT, err := c.take(kp+"log_dt", H)
	if err != nil {
		return nil, err
	}
	logAR, err := c.take(kp+"log_A_real", H, N)
	if err != nil {
		return nil, err
	}
	AIm, err := c.take(kp+"A_imag", H, N)
	if err != nil {
		return nil, err
	}
	s := &ssm{H: H, N: N, a: make([]complex128, H*N), b: make([]complex128, H*N), c: make([]complex128, H*N)}
	if ch == 2 {
		s.cBwd = make([]complex128, H*N)
	}
	for h := 0; h < H; h++ {
		dt := math.Exp(logDT[h])
		for n := 0; n < N; n++ {
			i := h*N + n
			A := complex(-math.Exp(logAR[i]), AIm[i])
			if s.a[i], s.b[i], err = discretise(A, 1, dt, "zoh"); err != nil {
				return nil, err
			}
			s.c[i] = complex(C[2*i], C[2*i+1])
			if ch == 2 {
				j := H*N + i
				s.cBwd[i] = complex(C[2*j], C[2*j+1])
			}
		}
	}
	return s, nil
}

// diagOptions are the SSMKernelDiag conventions of one checkpoint.
type diagOptions struct {
	dtT, realT, imagT, disc string
	bandlimit               float64 // 0 = none
}

// diagKernel reads an s4 SSMKernelDiag (inv_dt (H,1) or (H,N/2), A_real
// (n_ssm, N/2), A_imag (n_ssm, N/2) stored as −Im A, B (1, n_ssm, N/2, 2),
// C (channels, H, N/2, 2)) under prefix kp.
func (c *conv) diagKernel(kp string, H int, o diagOptions) (*ssm, error) {
	cs, ok := c.shape(kp + "C")
	if !ok || len(cs) != 4 || cs[1] != H || cs[3] != 2 || (cs[0] != 1 && cs[0] != 2) {
		return nil, fmt.Errorf("tensor %sC has shape %v, want (1|2, H=%d, N/2, 2)", kp, cs, H)
	}
	ch, N := cs[0], cs[2]
	as, _ := c.shape(kp + "A_real")
	if len(as) != 2 || as[1] != N || as[0] < 1 || H%as[0] != 0 {
		return nil, fmt.Errorf("tensor %sA_real has shape %v, want (n_ssm dividing H=%d, N/2=%d)", kp, as, H, N)
	}
	nssm := as[0]
	C, err := c.take(kp+"C", ch, H, N, 2)
	if err != nil {
		return nil, err
	}
	AR, err := c.take(kp+"A_real", nssm, N)
	if err != nil {
		return nil, err
	}
	AI, err := c.take(kp+"A_imag", nssm, N)
	if err != nil {
		return nil, err
	}
	B, err := c.take(kp+"B", 1, nssm, N, 2)
	if err != nil {
		return nil, err
	}
	ds, _ := c.shape(kp + "inv_dt")
	var invDT []float64
	tied := true
	switch {
	case slices.Equal(ds, []int{H, 1}):
		invDT, err = c.take(kp+"inv_dt", H, 1)
	case slices.Equal(ds, []int{H, N}):
		invDT, err = c.take(kp+"inv_dt", H, N)
		tied = false
	default:
		err = fmt.Errorf("tensor %sinv_dt has shape %v, want (H=%d, 1) or (H, N/2=%d)", kp, ds, H, N)
	}
	if err != nil {
		return nil, err
	}
	s := &ssm{H: H, N: N, a: make([]complex128, H*N), b: make([]complex128, H*N), c: make([]complex128, H*N)}
	if ch == 2 {
		s.cBwd = make([]complex128, H*N)
	}
	for h := 0; h < H; h++ {
		r := h % nssm
		for n := 0; n < N; n++ {
			i := h*N + n
			k := r*N + n
			di := h
			if !tied {
				di = i
			}
			dt, err := transform(invDT[di], o.dtT)
			if err != nil {
				return nil, fmt.Errorf("dt_transform: %w", err)
			}
			re, err := transform(AR[k], o.realT)
			if err != nil {
				return nil, fmt.Errorf("real_transform: %w", err)
			}
			im, err := transform(AI[k], o.imagT)
			if err != nil {
				return nil, fmt.Errorf("imag_transform: %w", err)
			}
			A := complex(-re, -im)
			Bc := complex(B[2*k], B[2*k+1])
			if s.a[i], s.b[i], err = discretise(A, Bc, dt, o.disc); err != nil {
				return nil, err
			}
			cc := complex(C[2*i], C[2*i+1])
			var cb complex128
			if ch == 2 {
				j := H*N + i
				cb = complex(C[2*j], C[2*j+1])
			}
			if o.bandlimit > 0 && dt*math.Abs(im)/(2*math.Pi) >= o.bandlimit/2 {
				cc, cb = 0, 0
			}
			s.c[i] = cc
			if ch == 2 {
				s.cBwd[i] = cb
			}
		}
	}
	return s, nil
}

// skipD reads the D skip term: (H) or (1, H).
func (c *conv) skipD(key string, H int) ([]float64, error) {
	ds, ok := c.shape(key)
	if !ok {
		return nil, fmt.Errorf("tensor %s is missing from the checkpoint", key)
	}
	switch {
	case slices.Equal(ds, []int{H}):
		return c.take(key, H)
	case slices.Equal(ds, []int{1, H}):
		return c.take(key, 1, H)
	}
	return nil, fmt.Errorf("tensor %s has shape %v, want (H=%d) or (1, H); multi-channel D is not supported", key, ds, H)
}
