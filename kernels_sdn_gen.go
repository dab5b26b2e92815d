//go:build ignore

// kernels_sdn_gen writes kernels_sdn_amd64.s and kernels_sdn_arm64.s (run
// by go generate in the package directory: go run kernels_sdn_gen.go .).

package main

import (
	"fmt"
	"os"
	"strings"
)

var b strings.Builder

func p(f string, a ...any) { fmt.Fprintf(&b, "\t"+f+"\n", a...) }
func l(s string)           { fmt.Fprintf(&b, "%s:\n", s) }

// SDNParams offsets
const (
	oW1, oB1, oB2, oW3, oB3, oThr = 0, 256, 544, 576, 608, 612
	aW2, aH1                      = 40, 296
)

func amd64() string {
	b.Reset()
	b.WriteString(`//go:build !purego

// SDN surrogate-neuron kernels (AVX-512, AVX2), generated; semantics:
// sdnGeneric in kernels_sdn.go. Every product is a separate VMULPS followed by
// a VADDPS in the generic order (no FMA), so results are bit-identical to the
// generic kernel. Two shortcuts change only the sign of zeros in h1 and h2,
// never a non-zero value or NaN: the h1 and h2 sums start with their first
// product instead of 0 + product, and the relu is VMAXPS x, +0 (NaN → x, as
// in generic, but −0 stays −0). The sign of a zero h cannot reach mem: mem
// keeps the 0 + product start, so every zero partial sum of it is +0. Argument block: sdnArgs in kernels_sdn_asm.go.

#include "textflag.h"

`)
	// ---------------- AVX-512 ----------------
	b.WriteString("// func sdnAVX512(a *sdnArgs)\nTEXT ·sdnAVX512(SB), NOSPLIT, $0-8\n")
	p("MOVQ a+0(FP), AX")
	p("MOVQ 0(AX), SI")
	p("MOVQ 8(AX), DI")
	p("MOVQ 16(AX), R8")
	p("MOVQ 24(AX), DX")
	p("MOVQ 32(AX), CX")
	p("TESTQ CX, CX")
	p("JLE z_done")
	p("VPXORD Z31, Z31, Z31")
	p("MOVL $0x3f800000, R9")
	p("VPBROADCASTD R9, Z30")
	p("VBROADCASTSS %d(DX), Z29", oThr)
	l("z_loop")
	for j := 0; j < 8; j++ {
		p("VMOVUPS %d(SI), Z%d", j*64, j)
	}
	// h1: acc Z10..Z17, temps Z18..Z25
	for j := 0; j < 8; j++ {
		if j == 0 {
			for k := 0; k < 8; k++ {
				p("VMULPS.BCST %d(DX), Z%d, Z%d", oW1+k*32+j*4, j, 10+k)
			}
			continue
		}
		for k := 0; k < 8; k++ {
			p("VMULPS.BCST %d(DX), Z%d, Z%d", oW1+k*32+j*4, j, 18+k)
		}
		for k := 0; k < 8; k++ {
			p("VADDPS Z%d, Z%d, Z%d", 18+k, 10+k, 10+k)
		}
	}
	for k := 0; k < 8; k++ {
		p("VADDPS.BCST %d(DX), Z%d, Z%d", oB1+k*4, 10+k, 10+k)
		p("VMAXPS Z%d, Z31, Z%d", 10+k, 10+k)
	}
	// h2: acc Z0..Z7, inputs Z10..Z17
	for i := 0; i < 8; i++ {
		if i == 0 {
			for k := 0; k < 8; k++ {
				p("VMULPS.BCST %d(AX), Z%d, Z%d", aW2+k*32+i*4, 10+i, k)
			}
			continue
		}
		for k := 0; k < 8; k++ {
			p("VMULPS.BCST %d(AX), Z%d, Z%d", aW2+k*32+i*4, 10+i, 18+k)
		}
		for k := 0; k < 8; k++ {
			p("VADDPS Z%d, Z%d, Z%d", 18+k, k, k)
		}
	}
	for k := 0; k < 8; k++ {
		p("VADDPS.BCST %d(DX), Z%d, Z%d", oB2+k*4, k, k)
		p("VMAXPS Z%d, Z31, Z%d", k, k)
	}
	for k := 0; k < 8; k++ {
		p("VMULPS.BCST %d(DX), Z%d, Z%d", oW3+k*4, k, 18+k)
	}
	for k := 0; k < 8; k++ {
		src := "Z9"
		if k == 0 {
			src = "Z31"
		}
		p("VADDPS Z%d, %s, Z9", 18+k, src)
	}
	p("VADDPS.BCST %d(DX), Z9, Z9", oB3)
	p("TESTQ DI, DI")
	p("JZ z_nomem")
	p("VMOVUPS Z9, (DI)")
	p("ADDQ $64, DI")
	l("z_nomem")
	p("TESTQ R8, R8")
	p("JZ z_nos")
	p("VADDPS 512(SI), Z9, Z8")
	p("VSUBPS Z29, Z8, Z8")
	p("VCMPPS $29, Z31, Z8, K1")
	p("VMOVAPS.Z Z30, K1, Z8")
	p("VMOVUPS Z8, (R8)")
	p("ADDQ $64, R8")
	l("z_nos")
	p("ADDQ $64, SI")
	p("DECQ CX")
	p("JNZ z_loop")
	l("z_done")
	p("VZEROUPPER")
	p("RET")

	// ---------------- AVX2 ----------------
	b.WriteString("\n// func sdnAVX2(a *sdnArgs): two 8-lane halves; h1 is kept in sdnArgs.h1.\nTEXT ·sdnAVX2(SB), NOSPLIT, $0-8\n")
	p("MOVQ a+0(FP), AX")
	p("MOVQ 24(AX), DX")
	p("VXORPS Y12, Y12, Y12")
	p("MOVL $0x3f800000, R9")
	p("MOVQ R9, X13")
	p("VPBROADCASTD X13, Y13")
	p("VBROADCASTSS %d(DX), Y14", oThr)
	p("XORQ R11, R11")
	l("y_half")
	p("MOVQ 32(AX), CX")
	p("TESTQ CX, CX")
	p("JLE y_done")
	p("MOVQ 0(AX), SI")
	p("ADDQ R11, SI")
	p("MOVQ 8(AX), DI")
	p("TESTQ DI, DI")
	p("JZ y_m")
	p("ADDQ R11, DI")
	l("y_m")
	p("MOVQ 16(AX), R8")
	p("TESTQ R8, R8")
	p("JZ y_loop")
	p("ADDQ R11, R8")
	l("y_loop")
	for j := 0; j < 8; j++ {
		p("VMOVUPS %d(SI), Y15", j*64)
		for k := 0; k < 8; k++ {
			t := 8 + k%4
			src := fmt.Sprintf("Y%d", k)
			if j == 0 {
				src = "Y12"
			}
			p("VBROADCASTSS %d(DX), Y%d", oW1+k*32+j*4, t)
			if src == "Y12" { // 0 + w·x: the sign of a zero sum is lost in the relu
				p("VMULPS Y15, Y%d, Y%d", t, k)
				continue
			}
			p("VMULPS Y15, Y%d, Y%d", t, t)
			p("VADDPS Y%d, %s, Y%d", t, src, k)
		}
	}
	for k := 0; k < 8; k++ {
		t := 8 + k%4
		p("VBROADCASTSS %d(DX), Y%d", oB1+k*4, t)
		p("VADDPS Y%d, Y%d, Y%d", t, k, k)
		p("VMAXPS Y%d, Y12, Y%d", k, k)
		p("VMOVUPS Y%d, %d(AX)", k, aH1+k*32)
	}
	for i := 0; i < 8; i++ {
		p("VMOVUPS %d(AX), Y15", aH1+i*32)
		for k := 0; k < 8; k++ {
			t := 8 + k%4
			src := fmt.Sprintf("Y%d", k)
			if i == 0 {
				src = "Y12"
			}
			p("VBROADCASTSS %d(AX), Y%d", aW2+k*32+i*4, t)
			if src == "Y12" { // 0 + w·x: the sign of a zero sum is lost in the relu
				p("VMULPS Y15, Y%d, Y%d", t, k)
				continue
			}
			p("VMULPS Y15, Y%d, Y%d", t, t)
			p("VADDPS Y%d, %s, Y%d", t, src, k)
		}
	}
	for k := 0; k < 8; k++ {
		t := 8 + k%4
		p("VBROADCASTSS %d(DX), Y%d", oB2+k*4, t)
		p("VADDPS Y%d, Y%d, Y%d", t, k, k)
		p("VMAXPS Y%d, Y12, Y%d", k, k)
	}
	for k := 0; k < 8; k++ {
		t := 8 + k%4
		src := "Y15"
		if k == 0 {
			src = "Y12"
		}
		p("VBROADCASTSS %d(DX), Y%d", oW3+k*4, t)
		p("VMULPS Y%d, Y%d, Y%d", k, t, t)
		p("VADDPS Y%d, %s, Y15", t, src)
	}
	p("VBROADCASTSS %d(DX), Y8", oB3)
	p("VADDPS Y8, Y15, Y15")
	p("TESTQ DI, DI")
	p("JZ y_nomem")
	p("VMOVUPS Y15, (DI)")
	p("ADDQ $64, DI")
	l("y_nomem")
	p("TESTQ R8, R8")
	p("JZ y_nos")
	p("VADDPS 512(SI), Y15, Y8")
	p("VSUBPS Y14, Y8, Y8")
	p("VCMPPS $29, Y12, Y8, Y8")
	p("VANDPS Y13, Y8, Y8")
	p("VMOVUPS Y8, (R8)")
	p("ADDQ $64, R8")
	l("y_nos")
	p("ADDQ $64, SI")
	p("DECQ CX")
	p("JNZ y_loop")
	p("ADDQ $32, R11")
	p("CMPQ R11, $64")
	p("JLT y_half")
	l("y_done")
	p("VZEROUPPER")
	p("RET")
	return b.String()
}

func w(enc uint32, c string, a ...any) { p("WORD $0x%08x // %s", enc, fmt.Sprintf(c, a...)) }
func fadd(d, n, m int) {
	w(0x4E20D400|uint32(m)<<16|uint32(n)<<5|uint32(d), "FADD V%d.4S, V%d.4S, V%d.4S", d, n, m)
}
func fsub(d, n, m int) {
	w(0x4EA0D400|uint32(m)<<16|uint32(n)<<5|uint32(d), "FSUB V%d.4S, V%d.4S, V%d.4S", d, n, m)
}
func fmax(d, n, m int) {
	w(0x4E20F400|uint32(m)<<16|uint32(n)<<5|uint32(d), "FMAX V%d.4S, V%d.4S, V%d.4S", d, n, m)
}
func fcmge0(d, n int) { w(0x6EA0C800|uint32(n)<<5|uint32(d), "FCMGE V%d.4S, V%d.4S, #0.0", d, n) }
func fmulE(d, n, m, idx int) {
	H, L := idx>>1, idx&1
	w(0x4F809000|uint32(L)<<21|uint32(m)<<16|uint32(H)<<11|uint32(n)<<5|uint32(d), "FMUL V%d.4S, V%d.4S, V%d.S[%d]", d, n, m, idx)
}

func arm64() string {
	b.Reset()
	b.WriteString(`//go:build !purego

// SDN surrogate-neuron kernel (NEON), generated; semantics: sdnGeneric in
// kernels_sdn.go. Every product is a separate FMUL (by element) followed by an
// FADD in the generic order (no FMA), so results are bit-identical to the
// generic kernel. The relu is FMAX x, +0 (exactly sdnRelu); the h1 and h2
// sums start with their first product instead of 0 + product, which changes
// only the sign of a zero sum, lost in the relu. The Go
// assembler has no mnemonics for these vector forms, so they are WORD
// encodings. Argument block: sdnArgs in kernels_sdn_asm.go.

#include "textflag.h"

// func sdnNEON(a *sdnArgs): four 4-lane quarters.
TEXT ·sdnNEON(SB), NOSPLIT, $0-8
`)
	p("MOVD a+0(FP), R0")
	p("MOVD 24(R0), R1")
	p("ADD $%d, R0, R2", aW2)
	p("VEOR V20.B16, V20.B16, V20.B16")
	p("MOVW $0x3f800000, R3")
	p("VDUP R3, V21.S4")
	p("ADD $%d, R1, R3", oThr)
	p("VLD1R (R3), [V22.S4]")
	p("MOVD $0, R14")
	l("n_quarter")
	p("MOVD 32(R0), R4")
	p("CBZ R4, n_done")
	p("MOVD 0(R0), R5")
	p("ADD R14, R5, R5")
	p("MOVD 8(R0), R6")
	p("CBZ R6, n_m")
	p("ADD R14, R6, R6")
	l("n_m")
	p("MOVD 16(R0), R7")
	p("CBZ R7, n_loop")
	p("ADD R14, R7, R7")
	l("n_loop")
	p("MOVD R5, R8")
	for j := 0; j < 8; j++ {
		p("VLD1 (R8), [V%d.S4]", j)
		p("ADD $64, R8")
	}
	layer := func(base string, boff, in, acc, bias int) {
		for kb := 0; kb < 8; kb += 4 {
			p("ADD $%d, %s, R3", boff+kb*32, base)
			p("VLD1 (R3), [V24.S4, V25.S4, V26.S4, V27.S4]")
			p("ADD $64, R3")
			p("VLD1 (R3), [V28.S4, V29.S4, V30.S4, V31.S4]")
			for j := 0; j < 8; j++ {
				if j == 0 { // 0 + w·x: the sign of a zero sum is lost in the relu
					for i := 0; i < 4; i++ {
						fmulE(acc+kb+i, in+j, 24+2*i+j/4, j%4)
					}
					continue
				}
				for i := 0; i < 4; i++ {
					fmulE(16+i, in+j, 24+2*i+j/4, j%4)
				}
				for i := 0; i < 4; i++ {
					fadd(acc+kb+i, acc+kb+i, 16+i)
				}
			}
		}
		for k := 0; k < 8; k++ {
			p("ADD $%d, R1, R3", bias+4*k)
			p("VLD1R (R3), [V23.S4]")
			fadd(acc+k, acc+k, 23)
			fmax(acc+k, acc+k, 20)
		}
	}
	layer("R1", oW1, 0, 8, oB1)
	layer("R2", 0, 8, 0, oB2)
	p("ADD $%d, R1, R3", oW3)
	p("VLD1 (R3), [V24.S4, V25.S4]")
	for k := 0; k < 8; k++ {
		fmulE(10+k, k, 24+k/4, k%4)
	}
	for k := 0; k < 8; k++ {
		src := 9
		if k == 0 {
			src = 20
		}
		fadd(9, src, 10+k)
	}
	p("ADD $%d, R1, R3", oB3)
	p("VLD1R (R3), [V23.S4]")
	fadd(9, 9, 23)
	p("CBZ R6, n_nomem")
	p("VST1 [V9.S4], (R6)")
	p("ADD $64, R6")
	l("n_nomem")
	p("CBZ R7, n_nos")
	p("ADD $512, R5, R3")
	p("VLD1 (R3), [V10.S4]")
	fadd(11, 9, 10)
	fsub(11, 11, 22)
	fcmge0(11, 11)
	p("VAND V21.B16, V11.B16, V11.B16")
	p("VST1 [V11.S4], (R7)")
	p("ADD $64, R7")
	l("n_nos")
	p("ADD $64, R5")
	p("SUB $1, R4")
	p("CBNZ R4, n_loop")
	p("ADD $16, R14")
	p("CMP $64, R14")
	p("BLT n_quarter")
	l("n_done")
	p("RET")
	return b.String()
}

func main() {
	os.WriteFile(os.Args[1]+"/kernels_sdn_amd64.s", []byte(amd64()), 0o644)
	os.WriteFile(os.Args[1]+"/kernels_sdn_arm64.s", []byte(arm64()), 0o644)
}
