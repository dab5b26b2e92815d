package runtime

// erf32 approximates erf(x) with a rational function of odd/even polynomials on [−4, 4]
// (the minimax form Eigen uses for float32; beyond ±4 erf is ±1 in float32), evaluated in
// float64. Its error against math.Erf is below 1e-7 absolute (TestErf32), well inside the
// float32-vs-float64 spread of the reference models, and it is ~10× faster than math.Erf.
func erf32(x float64) float64 {
	if x > 4 {
		x = 4
	} else if x < -4 {
		x = -4
	} else if x != x {
		return x
	}
	x2 := x * x
	p := x2*-2.72614225801306e-10 + 2.77068142495902e-08
	p = x2*p + -2.10102402082508e-06
	p = x2*p + -5.69250639462346e-05
	p = x2*p + -7.34990630326855e-04
	p = x2*p + -2.95459980854025e-03
	p = x2*p + -1.60960333262415e-02
	p *= x
	q := x2*-1.45660718464996e-05 + -2.13374055278905e-04
	q = x2*q + -1.68282697438203e-03
	q = x2*q + -7.37332916720468e-03
	q = x2*q + -1.42647390514189e-02
	return p / q
}
